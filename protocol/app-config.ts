// The runtime configuration the PWA reads from `config.json` beside its index.html: served by the sidecar
// (built from its environment, then the federation settings set through its API) or written next to a static
// build (tru.watch). Every field is optional:
// the app falls back to its build-time defaults. Credentials here are public by nature (browser users):
// the NATS server's permissions are the protection.
import * as v from 'valibot';
import { KEY_PIN_PATTERN, parseKeyPin } from './private-token.ts';

const url = v.pipe(v.string(), v.maxLength(500), v.regex(/^wss?:\/\/[^\s]+$/, 'a ws:// or wss:// URL'));
const credential = v.pipe(v.string(), v.maxLength(200));
/** An http(s) URL (the token issuer's). */
export const HttpUrlSchema = v.pipe(
  v.string(),
  v.maxLength(500),
  v.regex(/^https?:\/\/[^\s]+$/, 'an http:// or https:// URL'),
);
/** An invite code of the issuer's invites policy. */
export const InviteSchema = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,100}$/, 'an invite code'));
/** A token key pinned for its week: `YYYY-MM-DD:<key id>`, the week's Monday (UTC) and its token_key_id. */
const keyPin = v.pipe(
  v.string(),
  v.regex(
    KEY_PIN_PATTERN,
    'a key pin: YYYY-MM-DD:<64 lowercase hex digits>, its week’s Monday and the key id',
  ),
  v.check((pin) => parseKeyPin(pin) !== undefined, 'a key pin’s date must be the Monday its week starts'),
);
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
  /**
   * The federation's token issuer (`FEDERATION_ISSUER_URL`, docs/TRUST.md): when set, every message that counts
   * carries an anonymous token fetched from it, and tasks and activity reports wait for one.
   */
  issuerUrl: v.optional(HttpUrlSchema),
  /** The issuer's name in every token's challenge (`FEDERATION_ISSUER_NAME`); by default the URL's host name. */
  issuerName: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(200))),
  /**
   * The invite code the federation's host gave this node (`FEDERATION_ISSUER_INVITE`), for its invites policy.
   * The sidecar keeps it and hands it, with the node's secret, only to paired browsers: never in /config.json.
   */
  issuerInvite: v.optional(InviteSchema),
  /**
   * The issuer's keys the app may fetch tokens under, each pinned for its week (`FEDERATION_ISSUER_KEY_PINS`,
   * comma-separated `YYYY-MM-DD:<key id>`, as `npm run issuer -- pins` prints them): a key that is not pinned for
   * the week it signs for is refused, so the host cannot single a node out by its key (docs/TRUST.md, "Key
   * consistency").
   */
  issuerKeyPins: v.optional(v.pipe(v.array(keyPin), v.maxLength(100))),
  /**
   * For tests and demos only (`FEDERATION_TOKEN_ROUND_SECONDS`): tokens are fetched once in each period of this
   * many seconds, at a random moment, instead of once a day.
   */
  tokenRoundSeconds: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(86_400))),
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
