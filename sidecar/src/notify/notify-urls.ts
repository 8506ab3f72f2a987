// NOTIFY_URLS and NOTIFY_URLS_FILE: the operator's notification channels, one URL each (Apprise style, see
// channels/schemes.ts). A mistake stops the start with a sentence naming the variable, the URL's place, its scheme
// and host, never the rest of it (a URL often carries a token).
import { readFileSync } from 'node:fs';
import { ConfigError } from '../config-error.ts';
import type { Channel } from './channel.ts';
import { SCHEMES } from './channels/schemes.ts';
import { encodeBotToken } from './channels/telegram.ts';

/** Channels at most: every alert goes to each. */
export const MAX_CHANNELS = 20;

/**
 * The URLs in NOTIFY_URLS, separated by whitespace or commas; a comma followed by anything but a new URL's scheme
 * stays in its URL (`mailto://…?to=a@b,c@d`).
 */
export function splitUrls(text: string): string[] {
  return text
    .split(/\s+|,(?=\s*[a-z][a-z0-9+.-]*:\/\/)/i)
    .map((url) => url.replace(/^,+|,+$/g, ''))
    .filter(Boolean);
}

/** The URLs in a NOTIFY_URLS_FILE: one a line (or several, as in NOTIFY_URLS), `#` starts a comment line. */
export function urlsOfFile(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .flatMap(splitUrls);
}

/** The channels the environment configures (none: an empty list, and the sidecar makes no outbound connection). */
export function notifyChannels(env: NodeJS.ProcessEnv): Channel[] {
  const given: { from: string; url: string }[] = [];
  for (const url of splitUrls(env.NOTIFY_URLS ?? '')) given.push({ from: 'NOTIFY_URLS', url });
  const file = env.NOTIFY_URLS_FILE?.trim();
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new ConfigError(
        `NOTIFY_URLS_FILE=${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
      );
    }
    for (const url of urlsOfFile(text)) given.push({ from: `NOTIFY_URLS_FILE (${file})`, url });
  }
  if (given.length > MAX_CHANNELS)
    throw new ConfigError(
      `NOTIFY_URLS and NOTIFY_URLS_FILE give ${given.length} URLs: at most ${MAX_CHANNELS} notification channels`,
    );
  const counts = new Map<string, number>();
  return given.map(({ from, url }) => {
    counts.set(from, (counts.get(from) ?? 0) + 1);
    return channelOf(url, `${from}: URL ${counts.get(from)}`);
  });
}

function channelOf(text: string, where: string): Channel {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text)?.[1]?.toLowerCase();
  if (!scheme) throw new ConfigError(`${where} is not a URL like json://host/path`);
  let url: URL;
  try {
    url = new URL(encodeBotToken(text));
  } catch {
    throw new ConfigError(`${where} (${scheme}://…) is not a valid URL`);
  }
  // A Telegram URL's host is its bot token.
  const shown = scheme === 'tgram' ? 'tgram://…' : `${scheme}://${url.host}`;
  const factory = Object.hasOwn(SCHEMES, scheme) ? SCHEMES[scheme] : undefined;
  if (!factory)
    throw new ConfigError(
      `${where} (${shown}): unknown scheme ${scheme}; known: ${Object.keys(SCHEMES).join(', ')}`,
    );
  try {
    return factory(url);
  } catch (error) {
    throw new ConfigError(`${where} (${shown}): ${(error as Error).message}`);
  }
}
