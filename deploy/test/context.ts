// What every deploy test shares: podman's engine in the cached images directory, the images built once
// with scripts/ci-image.sh, the host's firewall as it was before, and the figures to report.
import { chmod, chown } from 'node:fs/promises';
import { afterAll, beforeAll, expect } from 'vitest';
import type { Engine } from '../../test/support/podman-engine.ts';
import { ciImage, firewallState, inspectImage, startImagesEngine } from './images.ts';

/** The names the compose files give the images, so `up` finds them built. */
export const IMAGES = {
  sidecar: 'truwatch/sidecar:local',
  dockerProxy: 'truwatch/docker-proxy:local',
  /** CI's stand-in for the official nats image (deploy/ci/nats-server.Dockerfile). */
  natsCi: 'truwatch/nats-ci:local',
  aggregator: 'truwatch/aggregator:local',
  /** CI's stand-in for the official caddy image (deploy/ci/caddy.Dockerfile). */
  caddyCi: 'truwatch/caddy-ci:local',
} as const;

/** One step: a compose project built, brought up, checked and taken down. */
export const STEP_TIMEOUT_MS = 5 * 60_000;

/** A group id standing for a host's `docker` group: the socket's group, added to the sidecar's user. */
export const SOCKET_GID = 2375;

export interface DeployContext {
  engine: Engine;
  /** Figures for the closing report: image sizes (MB), build and start times (ms). */
  figures: Record<string, number>;
  /** Fails the test when the host's firewall or ip_forward changed since the start. */
  checkFirewall(): void;
}

export function useDeployContext(): DeployContext {
  const context = { figures: {} } as DeployContext;
  let firewall = '';
  beforeAll(async () => {
    firewall = firewallState();
    context.checkFirewall = () => expect(firewallState(), 'the host firewall changed').toBe(firewall);
    context.engine = await startImagesEngine();
    // The API socket as a host's Docker socket is: root and a group, 0660.
    await chown(context.engine.socketPath, 0, SOCKET_GID);
    await chmod(context.engine.socketPath, 0o660);
    let t = Date.now();
    await ciImage(['setup']);
    context.figures.baseImagesMs = Date.now() - t;
    for (const [name, dockerfile, contextDir, tag] of [
      ['sidecar', 'deploy/sidecar.Dockerfile', '.', IMAGES.sidecar],
      ['dockerProxy', 'deploy/docker-proxy.Dockerfile', 'deploy', IMAGES.dockerProxy],
      ['natsCi', 'deploy/ci/nats-server.Dockerfile', 'deploy/ci', IMAGES.natsCi],
      ['aggregator', 'deploy/aggregator.Dockerfile', '.', IMAGES.aggregator],
      ['caddyCi', 'deploy/ci/caddy.Dockerfile', 'deploy/ci', IMAGES.caddyCi],
    ] as const) {
      t = Date.now();
      await ciImage(['build', contextDir, tag, '-q', '-f', dockerfile]);
      context.figures[`${name}BuildMs`] = Date.now() - t;
      context.figures[`${name}ImageMb`] = (await inspectImage(context.engine, tag)).sizeMb;
    }
    context.checkFirewall();
  }, 20 * 60_000);
  afterAll(async () => {
    await context.engine?.close();
    await ciImage(['service-down']).catch(() => undefined);
    console.log(`deploy figures: ${JSON.stringify(context.figures)}`);
  }, 120_000);
  return context;
}
