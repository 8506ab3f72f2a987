// The sidecar's /config.json from its environment: the token key pins (FEDERATION_ISSUER_KEY_PINS), each bound
// to its week.
import { describe, expect, it } from 'vitest';
import { appConfigFromEnv } from './app-config.ts';
import { ConfigError } from './config-error.ts';

const ID = 'ab'.repeat(32);
const OTHER = '0123456789abcdef'.repeat(4);
const pinsOf = (value: string) =>
  appConfigFromEnv({ FEDERATION_ISSUER_KEY_PINS: value }).federation?.issuerKeyPins;

describe('FEDERATION_ISSUER_KEY_PINS', () => {
  it('takes comma-separated YYYY-MM-DD:<key id> pins, the Monday of each key’s week', () => {
    expect(pinsOf(`2026-11-30:${ID}, 2026-12-07:${OTHER.toUpperCase()} ,`)).toEqual([
      `2026-11-30:${ID}`,
      `2026-12-07:${OTHER}`,
    ]);
    expect(pinsOf('')).toBeUndefined();
    expect(appConfigFromEnv({}).federation?.issuerKeyPins).toBeUndefined();
  });

  it.each([
    [ID, `FEDERATION_ISSUER_KEY_PINS: ${ID} has no week: a pin is YYYY-MM-DD:<key id>`],
    [`2026-12-01:${ID}`, `FEDERATION_ISSUER_KEY_PINS: 2026-12-01:${ID}: the date must be the Monday (UTC)`],
    [`2026-02-30:${ID}`, "the date must be the Monday (UTC) its key's week starts"],
    [`2026-11-30:${ID.slice(1)}`, 'is not a key pin: YYYY-MM-DD:<64 hex digits>'],
    [`2026-11-30T00:00:00Z:${ID}`, 'is not a key pin'],
    [`2026-11-30:${ID};2026-12-07:${OTHER}`, 'is not a key pin'],
  ])('refuses %s with a sentence naming the variable', (value, message) => {
    expect(() => pinsOf(`2026-11-30:${OTHER},${value}`)).toThrow(ConfigError);
    expect(() => pinsOf(`2026-11-30:${OTHER},${value}`)).toThrow(message);
  });

  it('refuses more than 100 pins', () => {
    const pins = Array.from({ length: 101 }, (_, i) => `2026-11-30:${i.toString(16).padStart(64, '0')}`);
    expect(() => pinsOf(pins.join(','))).toThrow(/FEDERATION_ISSUER_KEY_PINS: /);
    expect(pinsOf(pins.slice(1).join(','))).toHaveLength(100);
  });
});
