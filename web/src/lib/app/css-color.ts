// A theme colour for a canvas. Canvas does not understand `var()` or `light-dark()`: the colour is read
// through a probe element's computed `color`, which resolves both for the current theme.
export function cssColor(target: HTMLElement, variable: string): string {
  const probe = document.createElement('span');
  probe.style.color = `var(${variable})`;
  target.append(probe);
  const color = getComputedStyle(probe).color;
  probe.remove();
  return color;
}

/** Calls `onChange` when the theme changes (the system's scheme, or the app's `data-theme`); returns the stop. */
export function watchTheme(onChange: () => void): () => void {
  const media = matchMedia('(prefers-color-scheme: dark)');
  media.addEventListener('change', onChange);
  const observer = new MutationObserver(onChange);
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
  return () => {
    media.removeEventListener('change', onChange);
    observer.disconnect();
  };
}
