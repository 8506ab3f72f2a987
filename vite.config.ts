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
      manifest: false,
      kit: { assets: 'web/static', adapterFallback: 'index.html', spa: true },
      workbox: { globPatterns: ['**/*.{js,css,html,svg,png,webmanifest}'], navigateFallback: '/' },
    }),
  ],
  worker: { format: 'es' },
  server: { fs: { allow: ['protocol'] } },
});
