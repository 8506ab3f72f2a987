// Slack, through an incoming webhook: slack://TokenA/TokenB/TokenC[/#channel] (Apprise's form; a user part sets
// the name it posts as), or the address Slack shows, https://hooks.slack.com/services/TokenA/TokenB/TokenC.
// The channel and name only apply to legacy webhooks: an app's webhook posts where it was installed.
// The text is mrkdwn: the reasons hold the log's words, so &, < and > are escaped (no link, no @channel).
import type { Alert, Channel } from '../channel.ts';
import { post } from './http-post.ts';
import { messageBody, truncate } from './format.ts';
import { badUrl, options, pathSegments, safeDecode } from './url-parts.ts';

const EXPECTED =
  'slack://TokenA/TokenB/TokenC[/#channel] or https://hooks.slack.com/services/TokenA/TokenB/TokenC';
export const SLACK_HOST = 'hooks.slack.com';
const ORIGIN = 'https://hooks.slack.com';
const TOKEN = /^[A-Za-z0-9]{1,64}$/;
const CHANNEL = /^[#@]?[-_.a-z0-9]{1,80}$/i;
/** Slack advises messages under 4000 characters (it cuts them at 40 000). */
const TEXT_MAX = 3900;

export interface SlackOptions {
  /** Where Slack's webhooks are: for tests only. */
  origin?: string;
}

export function fromUrl(url: URL, { origin = ORIGIN }: SlackOptions = {}): Channel {
  const fail = (problem: string) => badUrl(problem, EXPECTED);
  let tokens: string[];
  let channel = '';
  let username = '';
  if (url.protocol === 'slack:') {
    options(url, [], fail);
    const segments = pathSegments(url);
    tokens = [url.hostname, ...segments.slice(0, 2)];
    // #channel is the URL's fragment when written as is, or a path segment when written %23channel or bare.
    channel = segments[2] ?? safeDecode(url.hash);
    if (segments.length > 3) throw fail('one channel per URL');
    username = safeDecode(url.username);
  } else if (url.protocol === 'https:' && url.hostname === SLACK_HOST) {
    const match = /^\/services\/([^/]+)\/([^/]+)\/([^/]+)\/?$/.exec(url.pathname);
    if (!match) throw fail('not a webhook address');
    tokens = match.slice(1);
  } else throw fail('not a Slack webhook');
  if (tokens[0]?.startsWith('xox')) throw fail('a bot token: use an incoming webhook');
  if (tokens.length !== 3 || !tokens.every((t) => TOKEN.test(t))) throw fail('three webhook tokens');
  if (channel && !CHANNEL.test(channel)) throw fail('a channel is #name or @user');
  if (channel && !/^[#@]/.test(channel)) channel = `#${channel}`;
  if (username.length > 80) throw fail('the name is at most 80 characters');
  const [team, hook, secret] = tokens as [string, string, string];

  return {
    kind: 'slack',
    // TokenA and TokenB are the workspace's and the webhook's ids; TokenC is the secret.
    label: `slack ${team}/${hook}${channel ? ` ${channel}` : ''}`,
    async send(alert: Alert, signal: AbortSignal) {
      const text = `*${escapeMrkdwn(alert.title)}*\n${escapeMrkdwn(truncate(messageBody(alert), TEXT_MAX))}`;
      await post(
        {
          url: `${origin}/services/${team}/${hook}/${secret}`,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            text,
            ...(channel ? { channel } : {}),
            ...(username ? { username } : {}),
          }),
          secrets: [secret],
        },
        signal,
      );
    },
  };
}

/** Slack's three control characters, as its docs say to escape them. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
