// Vite for the PWA (npm run build / npm run dev). The tests have their own config (vitest.config.ts).
import { sveltekit } from '@sveltejs/kit/vite';
import { SvelteKitPWA } from '@vite-pwa/sveltekit';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [
    sveltekit(),
    // A service worker that precaches the app shell, so every local page opens offline. The manifest is a
    // static file (web/static/manifest.webmanifest), linked from app.html.
    SvelteKitPWA({
      registerType: 'autoUpdate',
      // Absolute, so a first visit on a deep link (/tasks/<id>) registers /sw.js, not /tasks/sw.js.
      base: '/',
      scope: '/',
      manifest: false,
      kit: { assets: 'web/static', adapterFallback: 'index.html', spa: true },
      workbox: {
        globPatterns: ['**/*.{js,css,html,svg,png,webmanifest}'],
        // The precached file itself: with '/', which is not precached, the service worker failed to start its
        // routes and no navigation was answered offline.
        navigateFallback: '/index.html',
        // One classic script: a start-up error fails the registration loudly instead of in a lost promise.
        inlineWorkboxRuntime: true,
      },
    }),
  ],
  worker: { format: 'es' },
  server: { fs: { allow: ['protocol'] } },
});
