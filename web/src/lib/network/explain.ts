// The network page's connection in words: what it tries (the server's URL), what it waits for, and what the
// person looking at it can do. A URL on this machine is taken for the development federation
// (`npm run federation:dev`), whose WebSocket port NATS_WS_PORT sets (9222 by default).
import type { ConnectionState } from './connection.ts';

export interface Explanation {
  /** The pill: Connecting…, Live, Waiting for data, Reconnecting…, Not connected. */
  label: string;
  /** What is going on, with the URL. */
  detail?: string;
  /** What to do about it. */
  hint?: string;
}

const DEV_WS_PORT = '9222';

/** The port of a `ws:` URL on this machine (the development federation's kind), else undefined. */
export function localPort(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'ws:') return undefined;
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname)) return undefined;
  return parsed.port || '80';
}

/** The command that starts the development federation with its WebSocket on `port`. */
export function devCommand(port: string): string {
  return port === DEV_WS_PORT ? 'npm run federation:dev' : `NATS_WS_PORT=${port} npm run federation:dev`;
}

/**
 * `url`: the server tried (undefined while config.json loads); `hasStats`: whether a statistics snapshot has
 * arrived (stored or live).
 */
export function explain(state: ConnectionState, url: string | undefined, hasStats: boolean): Explanation {
  if (url === undefined) return { label: 'Connecting…', detail: 'Reading which server to connect to…' };
  const port = localPort(url);
  const dev = port === undefined ? undefined : devCommand(port);
  switch (state.kind) {
    case 'connecting':
      return { label: 'Connecting…', detail: `Connecting to the network server at ${url}…` };
    case 'live':
      if (hasStats) return { label: 'Live' };
      return {
        label: 'Waiting for data',
        detail: `Connected to ${url}, but no statistics have been published yet: waiting for the aggregator's first publication (one every 10 s).`,
        hint: dev
          ? `\`${dev}\` runs the aggregator beside the server: a nats-server started alone publishes nothing.`
          : 'If this lasts, the federation’s aggregator is not running.',
      };
    case 'reconnecting':
    case 'error': {
      const lost = state.kind === 'reconnecting' ? `Lost the connection to ${url}. ` : '';
      switch (state.problem) {
        case 'auth':
          return {
            label: 'Not connected',
            detail: `The network server at ${url} refused the page’s credentials.`,
            hint: dev
              ? `The development server takes the user \`public\` with the password \`public\`: check VITE_NETWORK_NATS_USER and VITE_NETWORK_NATS_PASSWORD, or the network section of config.json.`
              : 'The credentials come from the network section of config.json beside this page: its host must fix them.',
          };
        case 'permission':
          return {
            label: 'Not connected',
            detail: `The network server at ${url} does not let this page read the statistics.`,
            hint: 'The server’s `public` user must be allowed to subscribe to truebit.v1.stats and truebit.v1.feed and to read the latest of each (nats/users.conf).',
          };
        case 'timeout':
          return {
            label: state.kind === 'reconnecting' ? 'Reconnecting…' : 'Not connected',
            detail: `${lost}The network server at ${url} did not answer in time.`,
            hint: 'The server or the network is down or slow: the page keeps trying.',
          };
        case 'closed':
          return {
            label: 'Reconnecting…',
            detail: `${lost || `The network server at ${url} closed the connection. `}`.trim(),
            hint: dev ? `Is \`${dev}\` still running? The page keeps trying.` : 'The page keeps trying.',
          };
        case 'unreachable':
          return {
            label: state.kind === 'reconnecting' ? 'Reconnecting…' : 'Not connected',
            detail: `${lost}Cannot reach the network server at ${url}: the connection was refused or failed at once.`,
            hint: dev
              ? `Nothing answers there on this machine: start the development federation with \`${dev}\`.`
              : 'The server may be down, or this network may block it: the page keeps trying.',
          };
      }
    }
  }
}
