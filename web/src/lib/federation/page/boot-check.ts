// Part of every page, so kept tiny: starts federation in the background when the operator enabled it (a
// flag in this browser) or the deployment did (config.json, from the environment or the sidecar's API), and only
// then loads federation's code. While it is off, config.json is read again every `roundSeconds` (60 s by
// default): federation turned on with the sidecar's API starts in a page already open.
import { federationWasOn } from './enabled-flag.ts';

const ROUND_SECONDS = 60;

export async function startFederationIfEnabled(): Promise<void> {
  if (federationWasOn()) return boot();
  const config = (await fetch('/config.json', { cache: 'no-store' })
    .then((r) => (r.ok ? r.json() : null))
    .catch(() => null)) as { federation?: { enabled?: unknown; roundSeconds?: unknown } } | null;
  if (config?.federation?.enabled === true) return boot();
  const round = config?.federation?.roundSeconds;
  const seconds = typeof round === 'number' && round >= 1 ? round : ROUND_SECONDS;
  setTimeout(() => void startFederationIfEnabled(), seconds * 1000);
}

function boot(): Promise<void> {
  return import('./boot.ts').then((m) => m.boot());
}
