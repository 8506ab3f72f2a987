// The deployment's federation settings set through the API (POST /api/federation/enable|disable|settings): kept
// in one small JSON file in DATA_DIR (0600, written whole and renamed over the old one), validated against the
// federation part of protocol/app-config.ts. The environment's FEDERATION_* variables stay the defaults; what the
// file holds overrides them, and /config.json shows the result at once.
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import * as v from 'valibot';
import { FederationConfigSchema, type AppConfig } from '../../protocol/app-config.ts';
import { ConfigError } from './config-error.ts';
import { writeSecretFile } from './secrets.ts';

export const FEDERATION_SETTINGS_FILE = 'federation-settings.json';
/** The largest body POST /api/federation/settings takes (a .creds file is at most 4 KB). */
export const MAX_SETTINGS_BYTES = 8192;

// Every setting of the federation part but `enabledBy`, which the sidecar sets itself.
const { enabledBy: _, ...fields } = FederationConfigSchema.entries;

/** What the file holds: only the settings set through the API, each as config.json has it. */
export const StoredSettingsSchema = v.strictObject(fields);
export type StoredSettings = v.InferOutput<typeof StoredSettingsSchema>;

/** A change: a value sets a setting, null drops it (back to the environment's default); unknown keys refused. */
export type SettingsPatch = { [K in keyof StoredSettings]?: StoredSettings[K] | null };
export const SettingsPatchSchema = v.strictObject(
  Object.fromEntries(
    Object.entries(fields).map(([key, schema]) => [key, v.optional(v.nullable(schema.wrapped))]),
  ),
) as unknown as v.GenericSchema<unknown, SettingsPatch>;

/** The first issue of a failed parse, as `key: message`. */
export function firstIssue(issues: readonly v.BaseIssue<unknown>[]): string {
  const issue = issues[0]!;
  const path = issue.path?.map((p) => String(p.key)).join('.') ?? '';
  return `${path ? path + ': ' : ''}${issue.message}`;
}

export class FederationSettings {
  private constructor(
    readonly path: string,
    private stored: StoredSettings,
  ) {}

  /** The settings in the file at `path` (none when it is missing); a file holding something else stops the start. */
  static open(path: string): FederationSettings {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new FederationSettings(path, {});
      throw new ConfigError(`${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? error})`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ConfigError(
        `${path} is not JSON: fix it or delete it (the environment's settings then apply)`,
      );
    }
    const parsed = v.safeParse(StoredSettingsSchema, json);
    if (!parsed.success)
      throw new ConfigError(
        `${path}: ${firstIssue(parsed.issues)}: fix it or delete it (the environment's settings then apply)`,
      );
    return new FederationSettings(path, parsed.output);
  }

  /** What the file holds. */
  current(): StoredSettings {
    return { ...this.stored };
  }

  /** Applies `patch` and keeps the result; when it cannot be written, nothing changes and this throws. */
  update(patch: SettingsPatch): StoredSettings {
    const next: Record<string, unknown> = { ...this.stored };
    for (const [key, value] of Object.entries(patch)) {
      if (value === null) delete next[key];
      else if (value !== undefined) next[key] = value;
    }
    const stored = v.parse(StoredSettingsSchema, next);
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    writeSecretFile(this.path, JSON.stringify(stored, null, 2));
    this.stored = stored;
    return this.current();
  }

  /**
   * `base` (the environment's configuration) with these settings over its federation part. The network page's
   * server follows a federation server set here when it was the environment's default (NETWORK_NATS_URL unset).
   */
  apply(base: AppConfig): AppConfig {
    const federation = { ...base.federation, ...this.stored };
    if (this.stored.enabled !== undefined) federation.enabledBy = 'api';
    const followsFederation = base.network?.natsUrl === base.federation?.natsUrl;
    const network =
      followsFederation && this.stored.natsUrl !== undefined
        ? { ...base.network, natsUrl: this.stored.natsUrl }
        : base.network;
    return { ...base, federation, ...(network && { network }) };
  }
}
