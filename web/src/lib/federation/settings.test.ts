import { describe, expect, it } from 'vitest';
import { DEPLOYMENT_OPT_IN, resolveSettings } from './settings.ts';

describe('federation settings', () => {
  it('ENABLE_FEDERATION=true is consent with the default choice: the last 7 days too', () => {
    expect(resolveSettings({}, { enabled: true })).toMatchObject({
      consent: 'deployment',
      settings: { enabled: true, optIn: DEPLOYMENT_OPT_IN },
    });
    expect(resolveSettings({}, { enabled: true, enabledBy: 'environment' }).consent).toBe('deployment');
    expect(resolveSettings({}, undefined)).toMatchObject({ consent: null, settings: { optIn: null } });
  });

  it('POST /api/federation/enable is consent from the command line, with the same default choice', () => {
    expect(resolveSettings({}, { enabled: true, enabledBy: 'api' })).toMatchObject({
      consent: 'command-line',
      settings: { enabled: true, optIn: DEPLOYMENT_OPT_IN },
    });
    expect(resolveSettings({}, { enabled: false, enabledBy: 'api' }).consent).toBeNull();
    expect(resolveSettings({ enabled: true }, { enabled: true, enabledBy: 'api' }).consent).toBe('operator');
  });

  it("the operator's opt-in, and its choice, win over the deployment's", () => {
    const optIn = { atMs: 1, pastWeek: false };
    expect(resolveSettings({ enabled: true, optIn }, { enabled: true })).toMatchObject({
      consent: 'operator',
      settings: { optIn },
    });
    expect(resolveSettings({ enabled: false }, { enabled: true }).settings.optIn).toBeNull();
  });
});
