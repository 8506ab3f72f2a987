// Whether federation ran in this browser the last time it was looked at: a flag in localStorage, read on
// every page's first load without loading federation's code (boot-check.ts, Contribution.svelte) and written
// by federation's client whenever the worker says it is on or off.
const FLAG = 'truwatch.federation';

export function rememberEnabled(on: boolean): void {
  if (on) localStorage.setItem(FLAG, 'on');
  else localStorage.removeItem(FLAG);
}

export function federationWasOn(): boolean {
  return localStorage.getItem(FLAG) === 'on';
}
