import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'protocol/**/*.test.ts',
      'aggregator/**/*.test.ts',
      'sidecar/**/*.test.ts',
      'test/**/*.test.ts',
      'web/src/**/*.test.ts',
      'deploy/**/*.test.ts',
      'nats/**/*.test.ts',
      'docs/**/*.test.ts',
    ],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Integration tests start real servers (podman's Docker API, the sidecar): keep them apart.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
