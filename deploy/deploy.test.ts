// The container images and compose files, built and run with podman and Debian's docker-compose, with no
// registry (scripts/ci-image.sh). One file, so the builds happen once and one step runs at a time.
import { describe } from 'vitest';
import { aggregatorComposeTests } from './test/aggregator-compose.ts';
import { aggregatorImageTests } from './test/aggregator-image.ts';
import { useDeployContext } from './test/context.ts';
import { federationComposeTests } from './test/federation-compose.ts';
import { httpsComposeTests } from './test/https-compose.ts';
import { monitorComposeTests } from './test/monitor-compose.ts';
import { natsComposeTests } from './test/nats-compose.ts';
import { remoteComposeTests } from './test/remote-compose.ts';
import { sidecarImageTests } from './test/sidecar-image.ts';

describe('container images and compose files', () => {
  const context = useDeployContext();
  describe('the sidecar image', () => sidecarImageTests(context));
  describe('the monitor compose file', () => monitorComposeTests(context));
  describe('the https compose overlay', () => httpsComposeTests(context));
  describe('the remote monitor compose file', () => remoteComposeTests(context));
  describe('the nats compose file', () => natsComposeTests(context));
  describe('the aggregator image', () => aggregatorImageTests(context));
  describe('the federation compose file', () => federationComposeTests(context));
  describe('the aggregator compose file', () => aggregatorComposeTests(context));
});
