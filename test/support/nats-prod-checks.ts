// Checks of a nats-server running nats/prod/nats.conf, wherever it runs (a process or a container): TLS on
// the WebSocket port, bcrypt passwords, connection types per user, and the federation's permissions.
import { readFileSync } from 'node:fs';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { expect } from 'vitest';
import { SUBJECTS } from '../../protocol/subjects.ts';
import { wss } from './nats-wss.ts';

export const PROD_CONF = new URL('../../nats/prod/nats.conf', import.meta.url).pathname;
/** A password for tests only, and its bcrypt hash (htpasswd -nbBC 11 "" aggregator-ci-password). */
export const TEST_AGGREGATOR = {
  user: 'aggregator',
  pass: 'aggregator-ci-password',
  hash: '$2a$11$nVE8wHteuj7u8u9t1p/C6OJSH6FvV76q/e6SWtKQGwnYehBo7lpO.',
} as const;

/** The permission errors a connection is told about. */
function violations(nc: NatsConnection): string[] {
  const seen: string[] = [];
  void (async () => {
    for await (const s of nc.status()) if (s.type === 'error') seen.push(String(s.error));
  })();
  return seen;
}

export interface ProdEndpoints {
  /** nats://127.0.0.1:<port> */
  url: string;
  /** wss://localhost:<port> */
  wssUrl: string;
  ca: string;
}

export async function checkProdServer({ url, wssUrl, ca }: ProdEndpoints): Promise<void> {
  // The aggregator: TCP, bcrypt-checked password; a wrong one is refused.
  const aggregator = await connect({
    servers: url,
    user: TEST_AGGREGATOR.user,
    pass: TEST_AGGREGATOR.pass,
    inboxPrefix: '_INBOX_aggregator',
    reconnect: false,
  });
  await expect(
    connect({ servers: url, user: 'aggregator', pass: 'wrong', reconnect: false }),
  ).rejects.toThrow(/Authorization/i);
  // Browser users only over WebSocket, and only with TLS.
  await expect(connect({ servers: url, user: 'monitor', pass: 'monitor', reconnect: false })).rejects.toThrow(
    /Authorization/i,
  );
  await expect(wss(wssUrl.replace('wss://', 'ws://'), ca, 'monitor', 'monitor')).rejects.toThrow();
  const monitor = await wss(wssUrl, ca, 'monitor', 'monitor');
  const viewer = await wss(wssUrl, ca, 'public', 'public');
  try {
    const monitorDenied = violations(monitor);
    const stats: string[] = [];
    const sub = viewer.subscribe(SUBJECTS.stats, { max: 1 });
    const received = (async () => {
      for await (const m of sub) stats.push(m.string());
    })();
    await viewer.flush();
    monitor.publish(SUBJECTS.task, '{}');
    monitor.publish(SUBJECTS.stats, '{"forged":true}');
    await monitor.flush();
    aggregator.publish(SUBJECTS.stats, '{"from":"aggregator"}');
    await aggregator.flush();
    await received;
    await new Promise((r) => setTimeout(r, 200));
    expect(stats).toEqual(['{"from":"aggregator"}']);
    expect(monitorDenied.join('\n')).toMatch(/Permissions Violation for Publish to "truebit.v1.stats"/);
    expect(monitorDenied.join('\n')).not.toMatch(/truebit.v1.task/);
  } finally {
    await monitor.close();
    await viewer.close();
    await aggregator.close();
  }
}

/** A users file's text, comments and line breaks aside. */
function configText(file: string): string {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.replace(/#.*$/, '').trim())
    .join(' ');
}

/** The bracketed block (`{…}` or `[…]`) that opens at or after `from`, or '' if none. */
function blockAt(text: string, from: number, open: '{' | '['): string {
  const close = open === '{' ? '}' : ']';
  const start = from < 0 ? -1 : text.indexOf(open, from);
  if (start < 0) return '';
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    if (text[i] === open) depth++;
    if (text[i] === close && --depth === 0) return text.slice(start, i + 1).replace(/\s+/g, '');
  }
  return '';
}

/** The permission blocks of a users file, comments and layout aside. */
export function permissionBlocks(file: string): Record<string, string> {
  const text = configText(file);
  const blocks: Record<string, string> = {};
  for (const name of ['MONITOR', 'PUBLIC', 'AGGREGATOR']) {
    const start = text.indexOf(`${name} = {`);
    blocks[name] = start < 0 ? '' : `${name}=${blockAt(text, start, '{')}`;
  }
  return blocks;
}

/** Each account's exports and imports in a users file, comments and layout aside. */
export function accountWiring(file: string): Record<string, { exports: string; imports: string }> {
  const text = configText(file);
  const accounts = text.indexOf('accounts {');
  const wiring: Record<string, { exports: string; imports: string }> = {};
  for (const name of ['AGGREGATOR', 'MONITORS', 'PUBLIC']) {
    const start = accounts < 0 ? -1 : text.indexOf(`${name} {`, accounts);
    const account = start < 0 ? '' : blockAt(text, start, '{');
    const list = (key: string) => {
      const at = account.indexOf(`${key}:[`);
      return at < 0 ? '' : blockAt(account, at, '[');
    };
    wiring[name] = { exports: list('exports'), imports: list('imports') };
  }
  return wiring;
}
