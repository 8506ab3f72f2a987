// A Dexie live query as a Svelte value: re-runs when the store changes (in this tab or another) and when the
// reactive values read by `args` change.
import { liveQuery } from 'dexie';

export function live<A, T>(args: () => A, query: (args: A) => Promise<T>, initial: T): { readonly value: T } {
  let value = $state.raw(initial);
  $effect(() => {
    const current = args();
    const subscription = liveQuery(() => query(current)).subscribe({
      next: (next) => (value = next),
      error: (error: unknown) => console.error('truwatch: query failed', error),
    });
    return () => subscription.unsubscribe();
  });
  return {
    get value() {
      return value;
    },
  };
}
