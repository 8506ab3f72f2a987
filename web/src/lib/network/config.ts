// Where the public network page connects: build-time defaults (Vite env), overridden field by field by the
// `network` section of a runtime config.json beside index.html (protocol/app-config.ts), so one static build
// can be hosted anywhere. The credentials are public by nature: the server's permissions protect it.
import * as v from 'valibot';
import { AppConfigSchema } from '../../../../protocol/app-config.ts';

export interface NetworkServer {
  natsUrl: string;
  user: string;
  password: string;
  /** The `public` user's .creds text (decentralized auth), used instead of user and password when set. */
  creds?: string;
}

/** What the build says, or what `npm run federation:dev` runs (nats/nats.conf, user `public`). */
export const BUILD_DEFAULTS: NetworkServer = {
  natsUrl: import.meta.env.VITE_NETWORK_NATS_URL || 'ws://127.0.0.1:9222',
  user: import.meta.env.VITE_NETWORK_NATS_USER || 'public',
  password: import.meta.env.VITE_NETWORK_NATS_PASSWORD || 'public',
};

export interface ResolvedConfig {
  server: NetworkServer;
  /** Why config.json was not used, in plain words (the page says so and uses the defaults). */
  problem?: string;
}

/** The defaults overridden by a parsed config.json (`undefined` when there is none). */
export function resolveNetworkConfig(defaults: NetworkServer, json: unknown): ResolvedConfig {
  if (json === undefined) return { server: defaults };
  const result = v.safeParse(AppConfigSchema, json);
  if (!result.success) {
    const issue = result.issues[0];
    const path = issue.path?.map((p) => String(p.key)).join('.');
    return {
      server: defaults,
      problem: `config.json is invalid (${path ? `${path}: ` : ''}${issue.message}); using the built-in server`,
    };
  }
  const network = result.output.network ?? {};
  return {
    server: {
      natsUrl: network.natsUrl ?? defaults.natsUrl,
      user: network.user ?? defaults.user,
      password: network.password ?? defaults.password,
      ...(network.creds ? { creds: network.creds } : {}),
    },
  };
}

/**
 * Reads config.json. A missing file (404, or a host that answers with the app shell instead of JSON) means
 * the defaults; a file that is not valid JSON is a problem the page reports.
 */
export async function loadNetworkConfig(
  url = '/config.json',
  defaults = BUILD_DEFAULTS,
  fetchImpl: typeof fetch = fetch,
): Promise<ResolvedConfig> {
  let response: Response;
  try {
    response = await fetchImpl(url, { cache: 'no-store' });
  } catch {
    return { server: defaults };
  }
  if (!response.ok || !(response.headers.get('content-type') ?? '').includes('json')) {
    return { server: defaults };
  }
  let json: unknown;
  try {
    json = JSON.parse(await response.text());
  } catch (error) {
    return {
      server: defaults,
      problem: `config.json is not JSON (${(error as Error).message}); using the built-in server`,
    };
  }
  return resolveNetworkConfig(defaults, json);
}
