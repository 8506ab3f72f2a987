// Rows of a long list loaded page by page as they scroll into view, for a virtual list over 100 000 rows:
// only the pages on screen are held, and all of them are read again when the store changes.
import type { Page } from '../db/queries.ts';
import { onStoreChange } from './store.svelte.ts';

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
  private generation = 0;

  constructor(private readonly load: (offset: number, limit: number) => Promise<Page<T>>) {}

  /** Call from an $effect: loads now, and again whenever the store changes. Returns the cleanup. */
  follow(): () => void {
    this.reset();
    return onStoreChange(() => this.reset());
  }

  row(index: number): T | undefined {
    void this.version;
    return this.pages.get(Math.floor(index / PAGE_SIZE))?.[index % PAGE_SIZE];
  }

  /** Makes sure the rows from `first` to `last` are loaded. */
  show(first: number, last: number): void {
    for (let page = Math.floor(first / PAGE_SIZE); page <= Math.floor(last / PAGE_SIZE); page++)
      void this.fetch(page);
  }

  reset(): void {
    this.generation++;
    const visible = [...this.pages.keys()];
    this.pages.clear();
    this.loading.clear();
    if (visible.length === 0) visible.push(0);
    for (const page of visible) void this.fetch(page);
  }

  private async fetch(page: number): Promise<void> {
    if (this.pages.has(page) || this.loading.has(page)) return;
    this.loading.add(page);
    const generation = this.generation;
    const result = await this.load(page * PAGE_SIZE, PAGE_SIZE);
    if (generation !== this.generation) return;
    this.loading.delete(page);
    this.pages.set(page, result.rows);
    while (this.pages.size > MAX_PAGES) this.pages.delete(this.pages.keys().next().value as number);
    this.count = result.count;
    this.version++;
  }
}
