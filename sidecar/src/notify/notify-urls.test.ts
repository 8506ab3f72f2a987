// NOTIFY_URLS, NOTIFY_URLS_FILE and the rest of the alerts' configuration, through loadConfig.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.ts';
import { MAX_CHANNELS, notifyChannels } from './notify-urls.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function file(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'truwatch-notify-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'urls'), text);
  return join(dir, 'urls');
}

const labels = (env: NodeJS.ProcessEnv) => notifyChannels(env).map((c) => c.label);

/** The ConfigError `env` gives. */
function refusal(env: NodeJS.ProcessEnv): string {
  try {
    notifyChannels(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('no error');
}

describe('NOTIFY_URLS', () => {
  it('configures nothing by default: no alerter, no outbound connection', () => {
    expect(loadConfig({}).notify).toBeUndefined();
    expect(loadConfig({ NOTIFY_URLS: ' , ' }).notify).toBeUndefined();
  });

  it('takes URLs separated by commas or white space, and more from NOTIFY_URLS_FILE (# comment lines)', () => {
    const path = file(
      '# the team hook\njsons://token@hooks.example/a\n\n  # off: json://old.lan/\njson://b.lan:81/x\n',
    );
    expect(
      labels({ NOTIFY_URLS: 'json://a.lan/hook, jsons://c.lan/y\njson://d.lan', NOTIFY_URLS_FILE: path }),
    ).toEqual(['json://a.lan', 'jsons://c.lan', 'json://d.lan', 'jsons://hooks.example', 'json://b.lan:81']);
  });

  it('refuses an unknown scheme or a broken URL, naming its place, scheme and host, never the rest', () => {
    expect(refusal({ NOTIFY_URLS: 'json://a.lan/ pushover://user:s3cret@api.pushover.net/tok' })).toBe(
      'NOTIFY_URLS: URL 2 (pushover://api.pushover.net): unknown scheme pushover; known: json, jsons, ntfy, ntfys, discord, slack, tgram, mailto, mailtos, https',
    );
    expect(refusal({ NOTIFY_URLS: 'json://us:s3cret@[bad/path' })).toBe(
      'NOTIFY_URLS: URL 1 (json://…) is not a valid URL',
    );
    expect(refusal({ NOTIFY_URLS: 's3cret-token' })).toBe(
      'NOTIFY_URLS: URL 1 is not a URL like json://host/path',
    );
    const path = file('json://ok.lan/\nsmtp://user:s3cret@mail.lan\n');
    expect(refusal({ NOTIFY_URLS_FILE: path })).toBe(
      `NOTIFY_URLS_FILE (${path}): URL 2 (smtp://mail.lan): unknown scheme smtp; known: json, jsons, ntfy, ntfys, discord, slack, tgram, mailto, mailtos, https`,
    );
    expect(refusal({ NOTIFY_URLS_FILE: '/no/such/file' })).toBe(
      'NOTIFY_URLS_FILE=/no/such/file: cannot read it (ENOENT)',
    );
  });

  it('reads every channel scheme; a comma inside a URL stays in it; a bot token is never shown', () => {
    expect(
      labels({
        NOTIFY_URLS:
          'ntfys://ntfy.example/alerts,mailto://smtp.example?to=a@example.com,b@example.com&from=n@example.com, tgram://123456:AAHsecretsecretsecret/-100123',
      }),
    ).toEqual(['ntfy ntfy.example', 'mailto smtp.example', 'telegram -100123']);
    expect(refusal({ NOTIFY_URLS: 'tgram://123456:AAHsecretsecretsecret/a/b' })).toMatch(
      /^NOTIFY_URLS: URL 1 \(tgram:\/\/…\): /,
    );
    expect(refusal({ NOTIFY_URLS: 'tgram://123456:AAHsecretsecretsecret/a/b' })).not.toContain('AAH');
  });

  it(`takes ${MAX_CHANNELS} channels at most`, () => {
    const urls = (n: number) => Array.from({ length: n }, (_, i) => `json://h${i}.lan/`).join(',');
    expect(labels({ NOTIFY_URLS: urls(MAX_CHANNELS) })).toHaveLength(MAX_CHANNELS);
    expect(refusal({ NOTIFY_URLS: urls(MAX_CHANNELS + 1) })).toMatch(/give 21 URLs: at most 20/);
  });

  it('names the node after NOTIFY_NODE_NAME, else the container, the log directory or the demo; holds 60 s or NOTIFY_HOLD_SECONDS, cools down 10 min or NOTIFY_COOLDOWN_MINUTES', () => {
    const urls = { NOTIFY_URLS: 'json://a.lan/' };
    expect(loadConfig(urls).notify).toMatchObject({
      nodeName: 'runner-node',
      holdMs: 60_000,
      cooldownMs: 600_000,
    });
    expect(loadConfig({ ...urls, NOTIFY_COOLDOWN_MINUTES: '0' }).notify?.cooldownMs).toBe(0);
    expect(() => loadConfig({ ...urls, NOTIFY_COOLDOWN_MINUTES: '1441' })).toThrow(
      /NOTIFY_COOLDOWN_MINUTES=1441 must be a whole number from 0 to 1440/,
    );
    expect(loadConfig({ ...urls, CONTAINER_NAME: 'worker-7' }).notify?.nodeName).toBe('worker-7');
    expect(loadConfig({ ...urls, SOURCE: 'file:/srv/node-3/logs/' }).notify?.nodeName).toBe('logs');
    expect(loadConfig(urls, { demo: true }).notify?.nodeName).toBe('demo');
    expect(
      loadConfig({ ...urls, NOTIFY_NODE_NAME: 'rack 2', NOTIFY_HOLD_SECONDS: '0' }).notify,
    ).toMatchObject({
      nodeName: 'rack 2',
      holdMs: 0,
    });
    expect(() => loadConfig({ ...urls, NOTIFY_HOLD_SECONDS: '-1' })).toThrow(
      /NOTIFY_HOLD_SECONDS=-1 must be a whole number from 0 to 86400/,
    );
  });
});
