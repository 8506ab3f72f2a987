// The https:// webhook addresses an operator copies from Discord or Slack, to the channel they belong to. Any
// other https:// address is refused: a generic webhook is written jsons://.
import type { Channel } from '../channel.ts';
import * as discord from './discord.ts';
import * as slack from './slack.ts';
import { badUrl } from './url-parts.ts';

export interface HttpsOptions {
  /** Where the service's API is: for tests only. */
  origin?: string;
}

export function fromUrl(url: URL, options: HttpsOptions = {}): Channel {
  if (url.protocol === 'https:' && discord.DISCORD_HOSTS.includes(url.hostname))
    return discord.fromUrl(url, options);
  if (url.protocol === 'https:' && url.hostname === slack.SLACK_HOST) return slack.fromUrl(url, options);
  throw badUrl(
    'only Discord and Slack webhook addresses are read as https://',
    'jsons://host/path for any other webhook',
  );
}
