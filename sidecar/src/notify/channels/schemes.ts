// The notification URL schemes the sidecar knows (NOTIFY_URLS), each with the factory that makes its channel from
// the parsed URL. A factory throws an Error saying what is wrong with the URL (never quoting a secret).
import type { Channel } from '../channel.ts';
import * as discord from './discord.ts';
import * as https from './https-urls.ts';
import { jsonChannel } from './json.ts';
import * as mailto from './mailto.ts';
import * as ntfy from './ntfy.ts';
import * as slack from './slack.ts';
import * as telegram from './telegram.ts';

export type ChannelFactory = (url: URL) => Channel;

export const SCHEMES: Readonly<Record<string, ChannelFactory>> = {
  json: jsonChannel,
  jsons: jsonChannel,
  ntfy: (url) => ntfy.fromUrl(url),
  ntfys: (url) => ntfy.fromUrl(url),
  discord: (url) => discord.fromUrl(url),
  slack: (url) => slack.fromUrl(url),
  tgram: (url) => telegram.fromUrl(url),
  mailto: (url) => mailto.fromUrl(url),
  mailtos: (url) => mailto.fromUrl(url),
  // The webhook addresses Discord and Slack show, copied as they are.
  https: (url) => https.fromUrl(url),
};
