// Serves the built PWA from the static directory (single-page fallback to index.html), or, when it was not
// built before the sidecar started, a plain page saying how to build it.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Hono } from 'hono';
import { serveStatic } from '@hono/node-server/serve-static';

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>truwatch sidecar</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; line-height: 1.5">
<h1>truwatch sidecar</h1>
<p>The sidecar is running, but the web app has not been built, so there is nothing to show here yet.</p>
<p>Build it with <code>npm run build</code> and reload this page. The API answers meanwhile:
<code>curl http://127.0.0.1:8090/api/health</code>.</p>
</body></html>
`;

export function mountStatic(app: Hono, dir: string): void {
  const root = resolve(dir);
  const index = join(root, 'index.html');
  if (!existsSync(index)) {
    app.get('*', (c) => c.html(NOT_BUILT));
    return;
  }
  app.use('*', serveStatic({ root }));
  app.get('*', serveStatic({ root, path: 'index.html' }));
}
