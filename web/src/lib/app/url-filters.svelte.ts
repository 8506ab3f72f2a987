// A list page's filters kept in its address (`/tasks?status=failed&q=3f2a`): Back from a task, a reload or a
// shared link show the same list. The address is replaced, not pushed, so typing in a search box does not fill
// the history.
import { goto } from '$app/navigation';
import { page } from '$app/state';

/** The value of `key` in the address, or `fallback`. */
export function urlParam(key: string, fallback = ''): string {
  return page.url.searchParams.get(key) ?? fallback;
}

/** Every value of `key` in the address (`?level=warn&level=error`). */
export function urlParams(key: string): string[] {
  return page.url.searchParams.getAll(key);
}

/** Call in a component's setup: writes the filters `read` gives (empty ones left out) to the address. */
export function keepInUrl(read: () => Record<string, string | string[]>): void {
  const own = page.url.pathname;
  $effect(() => {
    // Leaving the page: the address is the next page's, not this list's to write.
    if (page.url.pathname !== own) return;
    // Built and read at once, never kept: nothing to react to.
    // eslint-disable-next-line svelte/prefer-svelte-reactivity
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(read()))
      for (const v of Array.isArray(value) ? value : [value]) if (v !== '') query.append(key, v);
    const text = query.toString();
    const search = text ? `?${text}` : '';
    if (search === page.url.search) return;
    void goto(`${own}${search}${page.url.hash}`, {
      replaceState: true,
      keepFocus: true,
      noScroll: true,
    });
  });
}
