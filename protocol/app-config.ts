// The runtime configuration the PWA reads from `config.json` beside its index.html: served by the sidecar
// (built from its environment, then the federation settings set through its API) or written next to a static
// build (tru.watch). Every field is optional:
// the app falls back to its build-time defaults. Credentials here are public by nature (browser users):
// the NATS server's permissions are the protection.
import * as v from 'valibot';

const url = v.pipe(v.string(), v.maxLength(500), v.regex(/^wss?:\/\/[^\s]+$/, 'a ws:// or wss:// URL'));
const credential = v.pipe(v.string(), v.maxLength(200));
/** A NATS .creds file's text (decentralized auth, nats/prod-jwt): a user JWT and its nkey seed. */
export const CredsSchema = v.pipe(
  v.string(),
  v.maxLength(4096),
  v.regex(
    /-----BEGIN NATS USER JWT-----[\s\S]+-----BEGIN USER NKEY SEED-----/,
    'the text of a NATS .creds file (a user JWT and its seed)',
  ),
);

/** Where `enabled` came from: the deployment's environment, or the sidecar's API (a command line). */
export const ENABLED_BY = ['environment', 'api'] as const;
export type EnabledBy = (typeof ENABLED_BY)[number];

export const FederationConfigSchema = v.object({
  /**
   * `ENABLE_FEDERATION=true`, or `POST /api/federation/enable`: the operator's consent given at deployment or from
   * the command line (the app says which in a banner).
   */
  enabled: v.optional(v.boolean()),
  /** Where `enabled` came from (set with it). */
  enabledBy: v.optional(v.picklist(ENABLED_BY)),
  /** The federation's NATS WebSocket endpoint (`FEDERATION_NATS_URL`). */
  natsUrl: v.optional(url),
  user: v.optional(credential),
  password: v.optional(credential),
  /** The `monitor` user's .creds (`FEDERATION_NATS_CREDS`, a file): used instead of user and password. */
  creds: v.optional(CredsSchema),
  /** Publish finished tasks (`FEDERATION_BROADCAST_TASKS`). */
  broadcastTasks: v.optional(v.boolean()),
  /** Publish heartbeats (`FEDERATION_BROADCAST_STATS`). */
  broadcastStats: v.optional(v.boolean()),
  /** Receive the network's stats and feed (`FEDERATION_RECEIVE_ENABLED`). */
  receive: v.optional(v.boolean()),
  /** How long received feed items are kept, in days (`FEDERATION_TASK_RETENTION_DAYS`). */
  taskRetentionDays: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(365))),
  /** Seconds between heartbeats (`FEDERATION_HEARTBEAT_SECONDS`, default 60; shorter only for tests). */
  heartbeatSeconds: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(3600))),
  /**
   * Seconds between the app's slow rounds, which fetch the node's secret from the sidecar again (so a browser
   * follows a reset made in another) and prune the federation database (`FEDERATION_ROUND_SECONDS`, default
   * 60; shorter only for tests).
   */
  roundSeconds: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(3600))),
  /**
   * For tests and demos only (`FEDERATION_TASK_HOLD_SECONDS`): a finished task may leave a random time up to this
   * many seconds after it finished, instead of a random time up to 2 minutes after its 5-minute window closed.
   */
  taskHoldSeconds: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(600))),
});
export type FederationConfig = v.InferOutput<typeof FederationConfigSchema>;

/** Where the public network page reads stats and feed (the `public` user). */
export const NetworkConfigSchema = v.object({
  natsUrl: v.optional(url),
  user: v.optional(credential),
  password: v.optional(credential),
  /** The `public` user's .creds (`NETWORK_NATS_CREDS`, a file): used instead of user and password. */
  creds: v.optional(CredsSchema),
});
export type NetworkConfig = v.InferOutput<typeof NetworkConfigSchema>;

/** The local app's defaults for the deployment; the operator's own choice in Settings wins. */
export const MonitorConfigSchema = v.object({
  /** Days of log entries kept (`LOG_RETENTION_DAYS`; 0: all), until the operator chooses in Settings. */
  retentionDays: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(3650))),
});

export const AppConfigSchema = v.object({
  federation: v.optional(FederationConfigSchema),
  network: v.optional(NetworkConfigSchema),
  monitor: v.optional(MonitorConfigSchema),
});
export type AppConfig = v.InferOutput<typeof AppConfigSchema>;
