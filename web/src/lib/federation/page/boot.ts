// Federation running in the background of any page: this tab's worker, and the banner that says when the
// deployment (ENABLE_FEDERATION=true) gave consent rather than the operator.
import { mount } from 'svelte';
import Banner from './Banner.svelte';
import { federation } from './client.svelte.ts';

let booted = false;

export function boot(): void {
  if (booted) return;
  booted = true;
  federation();
  mount(Banner, { target: document.body });
}
