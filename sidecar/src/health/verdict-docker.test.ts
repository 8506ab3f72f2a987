// The verdict from the node's container, followed through a real Docker Engine API (podman): a container that
// exited, and one that restarts in a loop.
import { afterEach, describe, expect, it } from 'vitest';
import type { NodeHealth } from '../../../protocol/node-health.ts';
import { testDockerSource } from '../../../test/support/docker-source.ts';
import { usePodman } from '../../../test/support/podman-fixture.ts';
import { poll } from '../../../test/support/poll.ts';
import { NodeMonitor } from '../monitor.ts';

const podman = usePodman();
let monitor: NodeMonitor | undefined;
afterEach(async () => {
  await monitor?.stop();
  monitor = undefined;
});

const RUNNER_LINE = `echo "$(date -u '+%Y-%m-%d %H:%M:%S') info: @truebit/worker-runner-node:2.0.0 Using slot 0/4"`;

function follow(name: string): NodeMonitor {
  monitor = new NodeMonitor(testDockerSource(name, podman.engine().socketPath));
  monitor.start();
  return monitor;
}

const verdict = (m: NodeMonitor, what: string, done: (h: NodeHealth) => boolean) =>
  poll(what, async () => m.snapshot().health, done, 60_000);

describe('the node health verdict, following a container', () => {
  it('is healthy while the container runs and writes, and down once it exited', async () => {
    const name = 'health-exits';
    // It runs until it is killed: the verdict must be seen healthy first, however slow podman's API is.
    await podman.engine().run(name, `${RUNNER_LINE}; sleep 3600 & wait $!`);
    const m = follow(name);
    await verdict(m, 'a live healthy node', (h) => h.verdict === 'healthy' && h.lastEntryAt !== undefined);
    await podman.engine().kill(name);
    const down = await verdict(m, 'the exit', (h) => h.verdict === 'down');
    expect(down.reasons).toEqual([
      expect.objectContaining({
        code: 'container',
        text: `The runner's container "${name}" is exited, not running`,
      }),
    ]);
    await podman.engine().rm(name);
  });

  it('is down when the container restarts in a loop', async () => {
    const name = 'health-loops';
    await podman.engine().run(name, `${RUNNER_LINE}; sleep 1; exit 1`, { args: ['--restart=always'] });
    const m = follow(name);
    const down = await verdict(m, 'a restart loop', (h) => h.reasons.some((r) => r.code === 'restarting'));
    expect(down.verdict).toBe('down');
    expect(down.reasons.find((r) => r.code === 'restarting')!.text).toMatch(
      /restarts in a loop: started \d+ times in the last 10 min/,
    );
    await podman.engine().rm(name);
  });
});
