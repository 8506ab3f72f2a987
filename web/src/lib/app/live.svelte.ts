// A monitor database query as a Svelte value: runs again when the database changes (in this tab or another) and
// when the reactive values read by `args` change.
import { watch } from './monitor-db.svelte.ts';

export function live<A, T>(args: () => A, query: (args: A) => Promise<T>, initial: T): { readonly value: T } {
  let value = $state.raw(initial);
  $effect(() => {
    const current = args();
    return watch(
      () => query(current),
      (next) => (value = next),
    );
  });
  return {
    get value() {
      return value;
    },
  };
}
