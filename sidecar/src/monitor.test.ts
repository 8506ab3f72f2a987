import { describe, expect, it } from 'vitest';
import type { Entry } from '../../protocol/node-events.ts';
import { NodeMonitor } from './monitor.ts';
import { EntryParser } from './parse/parser.ts';
import { IoStore } from './parse/io-store.ts';
import { pipeline } from './pipeline.ts';
import { REPLAY_EPOCH_MS, ReplaySource } from './sources/replay.ts';

const HOUR = 3_600_000;

/** Every entry of one backfill of the source, read apart from the monitor. */
async function entriesOf(source: ReplaySource): Promise<Entry[]> {
  const controller = new AbortController();
  const out: Entry[] = [];
  for await (const event of pipeline({
    source,
    signal: controller.signal,
    parser: new EntryParser(new IoStore()),
  })) {
    if (event.type === 'status') {
      if (event.status.state === 'live') break;
    } else out.push(...event.entries);
  }
  controller.abort();
  return out;
}

async function snapshotAfterBackfill(source: ReplaySource) {
  const monitor = new NodeMonitor(source);
  monitor.start();
  while (monitor.state.state !== 'live') await new Promise((r) => setTimeout(r, 20));
  const snapshot = monitor.snapshot();
  await monitor.stop();
  return snapshot;
}

describe('NodeMonitor task counts', () => {
  it('counts the outcomes of the tasks received in the counted log only', async () => {
    // History windows that begin at different moments: some of them during a task.
    let cut = 0;
    for (let k = 0; k < 12; k++) {
      const now = REPLAY_EPOCH_MS + 3 * HOUR + 17 * 60_000 + k * 53_117;
      const source = () => new ReplaySource({ now: () => now, historyHours: 1 });
      const entries = await entriesOf(source());
      const received = entries.filter((e) => e.kind === 'task.received');
      const receivedIds = new Set(received.map((e) => e.executionId));
      const finished = new Map<string, string>();
      for (const e of entries) if (e.outcome && e.executionId) finished.set(e.executionId, e.outcome);
      const ofReceived = [...finished].filter(([id]) => receivedIds.has(id));
      if (finished.size > ofReceived.length) cut++;

      const { tasks } = (await snapshotAfterBackfill(source())).counts;
      expect(tasks.received).toBe(received.length);
      expect(tasks.completed).toBe(ofReceived.filter(([, o]) => o === 'completed').length);
      expect(tasks.failed).toBe(ofReceived.filter(([, o]) => o === 'failed').length);
      expect(tasks.completed + tasks.failed).toBeLessThanOrEqual(tasks.received);
    }
    // Windows that begin during a task, holding its outcome without its receipt, were among them.
    expect(cut).toBeGreaterThan(2);
  });
});
