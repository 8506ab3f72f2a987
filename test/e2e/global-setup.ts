// Builds what the end-to-end tests run: the web app (build/) and the sidecar bundle (dist/).
import { buildSidecar } from '../../scripts/build-sidecar.ts';
import { buildWeb } from '../../scripts/build-web.ts';

export default async function globalSetup(): Promise<void> {
  buildWeb();
  await buildSidecar();
}
