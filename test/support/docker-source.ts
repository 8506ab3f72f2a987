// The Docker source as its tests run it against podman: retries quick enough for a test to see several, and a
// short quiet time before a followed log counts as caught up.
import { DockerSource } from '../../sidecar/src/sources/docker/docker.ts';

/** Delays between attempts while the API is unreachable or the container missing or stopped. */
export const TEST_RETRY = { initialMs: 50, maxMs: 400 };

export function testDockerSource(containerName: string, socketPath: string): DockerSource {
  return new DockerSource({ containerName, socketPath, retry: TEST_RETRY, idleMs: 150 });
}
