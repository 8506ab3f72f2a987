// The verdict in /api/status, from the real sidecar reading a runner's log directory.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { NodeHealth } from '../../../protocol/node-health.ts';
import { poll } from '../../../test/support/poll.ts';
import { useRunnerLogDir } from '../../../test/support/runner-log-dir.ts';
import { API_KEY, sidecarConfig } from '../../../test/support/sidecar-in-process.ts';
import { startSidecar, type Sidecar } from '../server.ts';

const dir = useRunnerLogDir();
let sidecar: Sidecar | undefined;
afterEach(async () => {
  await sidecar?.close();
  sidecar = undefined;
});

/** A runner line at `ms` (the runner writes UTC, to the second). */
const line = (ms: number, message: string) =>
  `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} info: @truebit/worker-runner-node:2.0.0 ${message}\n`;

async function healthOf(logDir: string, until: (h: NodeHealth) => boolean): Promise<NodeHealth> {
  sidecar = await startSidecar(sidecarConfig(join(dir.path, 'sidecar'), 0, { kind: 'file', dir: logDir }));
  const status = await poll(
    'the verdict',
    async () => {
      const res = await fetch(`${sidecar!.url}/api/status`, {
        headers: { authorization: `Bearer ${API_KEY}` },
      });
      return ((await res.json()) as { health: NodeHealth }).health;
    },
    until,
    30_000,
  );
  return status;
}

describe('the node health verdict, reading log files', () => {
  it('is healthy while the log is fresh and tasks come', async () => {
    const now = Date.now();
    dir.write(
      'runner.log',
      line(now - 60_000, 'Using slot 1/4') + line(now, 'Message received from task_created: {}'),
    );
    const health = await healthOf(dir.path, (h) => h.lastEntryAt !== undefined);
    expect(health).toMatchObject({ verdict: 'healthy', reasons: [] });
  });

  it('is degraded when the last entry is hours old, and says why', async () => {
    const old = Date.now() - 4 * 3600_000;
    dir.write('runner.log', line(old, 'Using slot 1/4'));
    const health = await healthOf(dir.path, (h) => h.verdict !== 'healthy');
    expect(health.verdict).toBe('degraded');
    expect(health.reasons).toEqual([
      expect.objectContaining({ code: 'stale', text: expect.stringMatching(/^No log entry for 4 h/) }),
      // …and no task either, with 3 of 4 slots free, for longer than 2 h.
      expect.objectContaining({ code: 'idle', text: expect.stringMatching(/^No task received for 4 h/) }),
    ]);
  });

  it("is down, in the sidecar's own words, when the log directory does not exist", async () => {
    const health = await healthOf(join(dir.path, 'no-such-dir'), (h) => h.verdict !== 'healthy');
    expect(health.verdict).toBe('down');
    expect(health.reasons).toEqual([
      expect.objectContaining({ code: 'source', text: expect.stringContaining('no-such-dir') }),
    ]);
  });
});
