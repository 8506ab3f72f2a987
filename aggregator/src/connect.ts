// Connecting to NATS as a service in a compose file must: a server that is not up yet (refused, unreachable, its
// name not resolvable yet) is waited for, with backoff; what waiting cannot fix (credentials refused, a
// certificate not trusted) ends the start with one line that says what to change.
import { AuthorizationError, ConnectionError, TimeoutError, type NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { natsConnection, type AggregatorConfig } from './config.ts';
import { StartError } from './start-error.ts';

export const FIRST_RETRY_MS = 1000;
export const MAX_RETRY_MS = 30_000;

export async function connectWhenUp(
  config: AggregatorConfig,
  log: (line: string) => void,
): Promise<NatsConnection> {
  for (let delayMs = FIRST_RETRY_MS; ; delayMs = Math.min(delayMs * 2, MAX_RETRY_MS)) {
    try {
      return await connect({
        ...natsConnection(config),
        inboxPrefix: '_INBOX_aggregator',
        name: 'truwatch-aggregator',
        maxReconnectAttempts: -1,
      });
    } catch (error) {
      const fatal = explainConnectError(error, config);
      if (fatal) throw fatal;
      log(
        `aggregator: NATS at ${config.natsUrl} is not reachable (${reason(error)}); trying again in ${delayMs / 1000} s`,
      );
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}

function reason(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : undefined;
  return cause ?? (error instanceof Error ? error.message : String(error));
}

/**
 * The error of a connection that waiting would not fix, said as what to change; undefined for one worth
 * retrying (the server is not up or not reachable yet).
 */
export function explainConnectError(error: unknown, config: AggregatorConfig): StartError | undefined {
  if (error instanceof AuthorizationError) {
    const who = config.natsCreds
      ? `the .creds file in NATS_CREDS (${config.natsCreds})`
      : `user "${config.natsUser}" with NATS_PASSWORD`;
    return new StartError(
      `NATS at ${config.natsUrl} refused the aggregator's credentials (${who}): they must be the aggregator user of the server's config (nats/users.conf, or the accounts of nats/prod-jwt)`,
      { cause: error },
    );
  }
  const text = reason(error);
  if (/certificate|self.signed|issuer/i.test(text)) {
    const hint = config.natsCa
      ? `the CA in NATS_CA (${config.natsCa}) did not sign it`
      : "set NATS_CA to the CA file that signed the servers' certificates";
    return new StartError(
      `cannot connect to ${config.natsUrl}: the server's TLS certificate is not trusted (${text}); ${hint}`,
      { cause: error },
    );
  }
  if (error instanceof ConnectionError || error instanceof TimeoutError) return undefined;
  return new StartError(`cannot connect to ${config.natsUrl}: ${text}`, { cause: error });
}
