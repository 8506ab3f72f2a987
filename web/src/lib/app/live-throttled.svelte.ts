// A heavy monitor database query as a Svelte value: like live(), but after a change it runs again at most once
// per `everyMs`. Earnings sum every invoice of their periods; run after each write of a backfill (one every few
// milliseconds) they doubled the browser's work for it (bench/backfill.ts: 30 s → 54–70 s of CPU for 20 000 tasks).
import { onMonitorDbChange } from './monitor-db.svelte.ts';

export function liveThrottled<A, T>(
  args: () => A,
  query: (args: A) => Promise<T>,
  initial: T,
  everyMs = 5_000,
): { readonly value: T } {
  let value = $state.raw(initial);
  $effect(() => {
    const current = args();
    let stopped = false;
    let running = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const schedule = () => {
      timer ??= setTimeout(() => {
        timer = undefined;
        void run();
      }, everyMs);
    };
    const run = async () => {
      if (running) return schedule();
      running = true;
      try {
        const next = await query(current);
        if (!stopped) value = next;
      } catch (error) {
        console.error('truwatch: query failed', error);
      } finally {
        running = false;
      }
    };
    void run();
    const off = onMonitorDbChange(schedule);
    return () => {
      stopped = true;
      off();
      clearTimeout(timer);
    };
  });
  return {
    get value() {
      return value;
    },
  };
}
