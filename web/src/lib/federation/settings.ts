// What the operator chose for federation, over the deployment's defaults (config.json, from the sidecar's
// FEDERATION_* variables). A choice the operator made in this browser always wins over a default.
import type { FederationConfig } from '../../../../protocol/app-config.ts';
import type { REGIONS } from '../../../../protocol/federation.ts';

export type Region = (typeof REGIONS)[number];

/** The operator's choice when turning federation on: whether the 7 days before are shared too. */
export interface OptIn {
  /** When it was made; 0 for the deployment's consent, which has no moment in this browser. */
  atMs: number;
  pastWeek: boolean;
}

/** ENABLE_FEDERATION=true (or POST /api/federation/enable) is consent with the default choice: the last 7 days too. */
export const DEPLOYMENT_OPT_IN: OptIn = { atMs: 0, pastWeek: true };

export interface FederationSettings {
  enabled: boolean;
  shareTasks: boolean;
  shareHeartbeat: boolean;
  receive: boolean;
  /** Days received feed items are kept. */
  feedRetentionDays: number;
  natsUrl: string;
  user: string;
  password: string;
  /** A .creds file's text (decentralized auth), used instead of user and password when set. */
  creds: string;
  /** The continent shared in heartbeats; none by default. */
  region: Region | null;
  heartbeatSeconds: number;
  /** The token issuer (docs/TRUST.md); '' for none: messages then carry no token. */
  issuerUrl: string;
  /** The issuer's name in the tokens' challenge; '' for the URL's host name. */
  issuerName: string;
  /** The invite code for the issuer's invites policy; '' for none. */
  issuerInvite: string;
  /** The token key ids allowed (lowercase hex); null when none are pinned. */
  issuerKeyPins: string[] | null;
  /** Tokens are fetched once in each period of this many seconds (a day; shorter only for tests). */
  tokenRoundSeconds: number;
  /** The last opt-in made on the consent screen; null before any (or made before the choice existed). */
  optIn: OptIn | null;
}

/** A heartbeat follows the last one after 1 to this many `heartbeatSeconds`, at random (worker/timing.ts). */
export const HEARTBEAT_SPREAD = 1.4;

/**
 * How federation came to be on: the operator's click in this browser, ENABLE_FEDERATION=true at deployment, or
 * the sidecar's API (POST /api/federation/enable, from the command line).
 */
export type Consent = 'operator' | 'deployment' | 'command-line' | null;

export const DEFAULTS: FederationSettings = {
  enabled: false,
  shareTasks: true,
  shareHeartbeat: true,
  receive: true,
  feedRetentionDays: 7,
  natsUrl: '',
  user: 'monitor',
  password: 'monitor',
  creds: '',
  region: null,
  heartbeatSeconds: 60,
  issuerUrl: '',
  issuerName: '',
  issuerInvite: '',
  issuerKeyPins: null,
  tokenRoundSeconds: 86_400,
  optIn: null,
};

/** The settings in force: the operator's choices, then config.json, then the defaults. */
export function resolveSettings(
  chosen: Partial<FederationSettings>,
  config: FederationConfig | undefined,
): { settings: FederationSettings; consent: Consent } {
  const fromConfig: Partial<FederationSettings> = {};
  const put = <K extends keyof FederationSettings>(key: K, value: FederationSettings[K] | undefined) => {
    if (value !== undefined) fromConfig[key] = value;
  };
  put('enabled', config?.enabled);
  put('natsUrl', config?.natsUrl);
  put('user', config?.user);
  put('password', config?.password);
  put('creds', config?.creds);
  put('shareTasks', config?.broadcastTasks);
  put('shareHeartbeat', config?.broadcastStats);
  put('receive', config?.receive);
  put('feedRetentionDays', config?.taskRetentionDays);
  put('heartbeatSeconds', config?.heartbeatSeconds);
  put('issuerUrl', config?.issuerUrl);
  put('issuerName', config?.issuerName);
  put('issuerInvite', config?.issuerInvite);
  put('issuerKeyPins', config?.issuerKeyPins);
  put('tokenRoundSeconds', config?.tokenRoundSeconds);
  const settings = { ...DEFAULTS, ...fromConfig, ...chosen };
  const consent: Consent = !settings.enabled
    ? null
    : chosen.enabled === true
      ? 'operator'
      : config?.enabledBy === 'api'
        ? 'command-line'
        : 'deployment';
  if (consent === 'deployment' || consent === 'command-line') settings.optIn ??= DEPLOYMENT_OPT_IN;
  return { settings, consent };
}

/** The issuer's name in the tokens' challenge: the one set, else the issuer URL's host name. */
export function issuerNameOf(settings: Pick<FederationSettings, 'issuerUrl' | 'issuerName'>): string {
  if (settings.issuerName) return settings.issuerName;
  try {
    return new URL(settings.issuerUrl).hostname;
  } catch {
    return '';
  }
}
