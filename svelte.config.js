// SvelteKit: a static single-page PWA built from web/ into build/ (served by the sidecar, or hosted anywhere).
import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
const config = {
  preprocess: vitePreprocess(),
  kit: {
    files: { src: 'web/src', assets: 'web/static' },
    // Every route is rendered in the browser; unknown paths fall back to the app shell.
    adapter: adapter({ pages: 'build', assets: 'build', fallback: 'index.html', strict: true }),
    alias: { $protocol: 'protocol' },
    csp: {
      mode: 'hash',
      directives: {
        'default-src': ['self'],
        'script-src': ['self', 'wasm-unsafe-eval'],
        'style-src': ['self', 'unsafe-inline'],
        'img-src': ['self', 'data:'],
        // The network page and federation connect to the NATS WebSocket named in config.json (any host, so
        // wss: only); plain ws: only to this machine, for development (an https page cannot use ws: anyway).
        // The sidecar: on this machine over http:, or any the operator names over https: (another machine,
        // behind TLS).
        'connect-src': [
          'self',
          'http://127.0.0.1:*',
          'http://localhost:*',
          'https:',
          'ws://127.0.0.1:*',
          'ws://localhost:*',
          'wss:',
        ],
        'worker-src': ['self'],
        'manifest-src': ['self'],
        'object-src': ['none'],
        'base-uri': ['self'],
        'form-action': ['self'],
        'frame-ancestors': ['none'],
      },
    },
  },
};

export default config;
