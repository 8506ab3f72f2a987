// Telegram, through a bot: tgram://bot_token/chat_id (Apprise's form). The message is plain text (no parse
// mode), so the log's words need no escaping; Telegram takes at most 4096 characters.
// A bot token is 123456:ABC…: its colon makes the URL unreadable to the URL parser (it looks like a port), so
// write it %3A, or read NOTIFY_URLS through encodeBotToken first.
import type { Alert, Channel } from '../channel.ts';
import { post } from './http-post.ts';
import { messageBody, truncate } from './format.ts';
import { badUrl, options, pathSegments, safeDecode } from './url-parts.ts';

const EXPECTED = 'tgram://bot_token/chat_id';
const ORIGIN = 'https://api.telegram.org';
const BOT_TOKEN = /^\d{1,20}:[-_A-Za-z0-9]{10,100}$/;
/** A chat's id (a group's is negative), or a public channel's @name. */
const CHAT = /^(-?\d{1,20}|@[A-Za-z0-9_]{4,64})$/;
const TEXT_MAX = 4096;

export interface TelegramOptions {
  /** Where Telegram's Bot API is: for tests only. */
  origin?: string;
}

/** `tgram://123:ABC/chat` → `tgram://123%3AABC/chat`: the form the URL parser reads. Other text is left as it is. */
export function encodeBotToken(text: string): string {
  return text.replace(/^(tgram:\/\/(?:bot)?\d+):(?=[-_A-Za-z0-9]+(\/|$))/i, '$1%3A');
}

export function fromUrl(url: URL, { origin = ORIGIN }: TelegramOptions = {}): Channel {
  const fail = (problem: string) => badUrl(problem, EXPECTED);
  if (url.protocol !== 'tgram:') throw fail('not a Telegram URL');
  if (url.username || url.password || url.port) throw fail('the bot token is written 123456%3AABC…');
  options(url, [], fail);
  const token = safeDecode(url.hostname).replace(/^bot/i, '');
  if (!BOT_TOKEN.test(token)) throw fail('no bot token, or not one (123456:ABC…)');
  const segments = pathSegments(url);
  if (segments.length !== 1) throw fail(segments.length ? 'one chat per URL' : 'no chat id');
  const chat = segments[0] as string;
  if (!CHAT.test(chat)) throw fail('a chat id is a number or a channel @name');

  return {
    kind: 'telegram',
    // The chat's id is no secret (posting to it takes the bot's token).
    label: `telegram ${chat}`,
    async send(alert: Alert, signal: AbortSignal) {
      await post(
        {
          url: `${origin}/bot${token}/sendMessage`,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            chat_id: chat,
            text: truncate(`${alert.title}\n\n${messageBody(alert)}`, TEXT_MAX),
            link_preview_options: { is_disabled: true },
          }),
          secrets: [token, token.split(':')[1] ?? token],
        },
        signal,
      );
    },
  };
}
