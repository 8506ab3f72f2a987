// Discord, through a channel's webhook: discord://webhook_id/webhook_token (Apprise's form; a user part sets the
// name it posts as), or the address Discord shows, https://discord.com/api/webhooks/webhook_id/webhook_token.
// The title goes in the message (what a phone's notification shows), the reasons in an embed coloured by the
// verdict. The reasons hold the log's words: markdown is escaped and no mention pings anyone.
import type { Alert, Channel } from '../channel.ts';
import { post } from './http-post.ts';
import { changeLine, reasonLines, truncate } from './format.ts';
import { badUrl, options, pathSegments, safeDecode } from './url-parts.ts';

const EXPECTED =
  'discord://webhook_id/webhook_token or https://discord.com/api/webhooks/webhook_id/webhook_token';
export const DISCORD_HOSTS = ['discord.com', 'discordapp.com', 'ptb.discord.com', 'canary.discord.com'];
const ORIGIN = 'https://discord.com';
const ID = /^\d{1,30}$/;
const TOKEN = /^[-_A-Za-z0-9]{1,200}$/;
/** Discord's limits: message 2000, embed title 256, embed description 4096, name 80. */
const CONTENT_MAX = 2000;
const TITLE_MAX = 256;
const DESCRIPTION_MAX = 4096;
const COLOUR = { down: 0xd32f2f, degraded: 0xf9a825, healthy: 0x2e7d32 } as const;

export interface DiscordOptions {
  /** Where Discord's API is: for tests only. */
  origin?: string;
}

export function fromUrl(url: URL, { origin = ORIGIN }: DiscordOptions = {}): Channel {
  const fail = (problem: string) => badUrl(problem, EXPECTED);
  let id: string | undefined;
  let token: string | undefined;
  let username = '';
  if (url.protocol === 'discord:') {
    options(url, [], fail);
    id = url.hostname;
    [token] = pathSegments(url);
    if (pathSegments(url).length > 1) throw fail('more than a webhook id and token');
    username = safeDecode(url.username);
  } else if (url.protocol === 'https:' && DISCORD_HOSTS.includes(url.hostname)) {
    // /api/webhooks/id/token, or with an API version: /api/v10/webhooks/id/token
    const match = /^\/api(?:\/v\d+)?\/webhooks\/([^/]+)\/([^/]+)\/?$/.exec(url.pathname);
    if (!match) throw fail('not a webhook address');
    [, id, token] = match;
  } else throw fail('not a Discord webhook');
  if (!id || !ID.test(id)) throw fail('the webhook id is a number');
  if (!token || !TOKEN.test(token)) throw fail('no webhook token, or not one');
  if (username.length > 80) throw fail('the name is at most 80 characters');
  const secrets = [token];

  return {
    kind: 'discord',
    // The webhook id is no secret (the token is): it tells two Discord channels apart.
    label: `discord ${id}`,
    async send(alert: Alert, signal: AbortSignal) {
      const description = [escapeMarkdown(reasonLines(alert)), escapeMarkdown(changeLine(alert))]
        .filter(Boolean)
        .join('\n\n');
      await post(
        {
          url: `${origin}/api/webhooks/${id}/${token}`,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            content: truncate(escapeMarkdown(alert.title), CONTENT_MAX),
            ...(username ? { username } : {}),
            embeds: [
              {
                title: truncate(alert.title, TITLE_MAX),
                description: truncate(description, DESCRIPTION_MAX),
                color: COLOUR[alert.verdict],
                timestamp: alert.at,
              },
            ],
            allowed_mentions: { parse: [] },
          }),
          secrets,
        },
        signal,
      );
    },
  };
}

/** The characters Discord's markdown acts on, escaped, so the log's words show as written. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\*_~`|[\]<>#]/g, (c) => `\\${c}`).replace(/^-/gm, '\\-');
}
