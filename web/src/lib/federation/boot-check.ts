// Part of every page, so kept tiny: starts federation in the background when the operator enabled it (a
// flag in this browser) or the deployment did (config.json), and only then loads federation's code.
const FLAG = 'truwatch.federation';

/** Called by federation's own code whenever it is turned on or off. */
export function rememberEnabled(on: boolean): void {
  if (on) localStorage.setItem(FLAG, 'on');
  else localStorage.removeItem(FLAG);
}

/** Whether federation ran here the last time it was looked at (cheap: no federation code needed). */
export function federationWasOn(): boolean {
  return localStorage.getItem(FLAG) === 'on';
}

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
