// The notification URL schemes the sidecar knows (NOTIFY_URLS), each with the factory that makes its channel from
// the parsed URL. A factory throws an Error saying what is wrong with the URL (never quoting a secret).
import type { Channel } from '../channel.ts';
import { jsonChannel } from './json.ts';

export type ChannelFactory = (url: URL) => Channel;

export const SCHEMES: Readonly<Record<string, ChannelFactory>> = {
  json: jsonChannel,
  jsons: jsonChannel,
};
