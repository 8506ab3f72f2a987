// Part of every page, so kept tiny: starts federation in the background when the operator enabled it (a
// flag in this browser) or the deployment did (config.json), and only then loads federation's code.
import { federationWasOn } from './enabled-flag.ts';

export async function startFederationIfEnabled(): Promise<void> {
  let on = federationWasOn();
  if (!on) {
    const config = (await fetch('/config.json', { cache: 'no-store' })
      .then((r) => (r.ok ? r.json() : null))
      .catch(() => null)) as { federation?: { enabled?: unknown } } | null;
    on = config?.federation?.enabled === true;
  }
  if (on) await import('./boot.ts').then((m) => m.boot());
}
