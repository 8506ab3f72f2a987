// The built PWA on a plain static host (as at tru.watch), with a config.json beside index.html.
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import type { AppConfig } from '../../protocol/app-config.ts';
import { mountStatic } from '../../sidecar/src/http/static.ts';

export interface StaticSite {
  url: string;
  close(): Promise<void>;
}

export async function staticSite(config: AppConfig): Promise<StaticSite> {
  const app = new Hono();
  app.get('/config.json', (c) => c.json(config));
  mountStatic(app, new URL('../../build', import.meta.url).pathname);
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
