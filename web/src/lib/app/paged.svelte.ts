// Rows of a long list loaded page by page as they scroll into view, for a virtual list over 100 000 rows:
// only the pages on screen are held, and all of them are read again when the monitor database changes.
import type { Page } from '../db/queries.ts';
import { onMonitorDbChange } from './monitor-db.svelte.ts';

export const PAGE_SIZE = 200;
const MAX_PAGES = 20;

export class PagedRows<T> {
  count = $state(0);
  /** Bumped when pages arrive, so rows re-render. */
  version = $state(0);
  // Not reactive on purpose: `version` says when rows changed, once per page loaded.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  private pages = new Map<number, T[]>();
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  private loading = new Set<number>();
  /** Pages to read again when their read in progress ends: the database changed meanwhile. */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  private stale = new Set<number>();

  constructor(private readonly load: (offset: number, limit: number) => Promise<Page<T>>) {}

  /** Call from an $effect: loads now, and again whenever the database changes. Returns the cleanup. */
  follow(): () => void {
    this.reset();
    return onMonitorDbChange(() => this.reset());
  }

  row(index: number): T | undefined {
    void this.version;
    return this.pages.get(Math.floor(index / PAGE_SIZE))?.[index % PAGE_SIZE];
  }

  /** Makes sure the rows from `first` to `last` are loaded. */
  show(first: number, last: number): void {
    for (let page = Math.floor(first / PAGE_SIZE); page <= Math.floor(last / PAGE_SIZE); page++)
      void this.fetch(page, false);
  }

  /**
   * Reads the pages held again. They stay on screen until their new rows arrive, and a read is never thrown
   * away: while the database changes faster than a deep page reads, the page still shows, a little behind.
   */
  reset(): void {
    const held = this.pages.size ? [...this.pages.keys()] : [0];
    for (const page of held) void this.fetch(page, true);
  }

  private async fetch(page: number, again: boolean): Promise<void> {
    if (this.loading.has(page)) {
      if (again) this.stale.add(page);
      return;
    }
    if (!again && this.pages.has(page)) return;
    this.loading.add(page);
    try {
      do {
        this.stale.delete(page);
        const result = await this.load(page * PAGE_SIZE, PAGE_SIZE);
        this.pages.delete(page); // Re-inserted last: the pages dropped first are those read longest ago.
        this.pages.set(page, result.rows);
        while (this.pages.size > MAX_PAGES) this.pages.delete(this.pages.keys().next().value as number);
        this.count = result.count;
        this.version++;
      } while (this.stale.has(page));
    } catch (error) {
      console.error('truwatch: reading rows failed', error);
    } finally {
      this.loading.delete(page);
    }
  }
}
