import { monitorEventLoopDelay } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { BLOCK_MS } from '../demo/generator.ts';
import { parseReplayCursor, REPLAY_EPOCH_MS, replayCursor, ReplaySource } from './replay.ts';
import { MAX_BATCH_LINES, type SourceEvent, type SourceLine } from './source.ts';

const HOUR = 3_600_000;

/** Reads until `stop` says so (or `ms` pass), then aborts; returns every event. */
async function readUntil(
  source: ReplaySource,
  stop: (ev: SourceEvent) => boolean,
  options: { after?: string; ms?: number } = {},
): Promise<SourceEvent[]> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), options.ms ?? 20_000);
  const events: SourceEvent[] = [];
  try {
    for await (const ev of source.read({ after: options.after, signal: ac.signal })) {
      events.push(ev);
      if (stop(ev)) break;
    }
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
  return events;
}

const isLive = (ev: SourceEvent) => ev.type === 'status' && ev.status.state === 'live';
const linesOf = (events: SourceEvent[]): SourceLine[] =>
  events.flatMap((ev) => (ev.type === 'lines' ? ev.lines : []));
const timeOf = (source: ReplaySource, cursor: string): number => {
  const { block, index } = parseReplayCursor(cursor)!;
  return source.lineTime(block, source.block(block)[index]!.offsetMs);
};

function expectIncreasing(lines: SourceLine[]): void {
  for (let i = 1; i < lines.length; i++) expect(lines[i]!.cursor > lines[i - 1]!.cursor).toBe(true);
}

describe('replay cursors', () => {
  it('are fixed-width and round-trip', () => {
    expect(replayCursor(12, 7)).toBe('r.0000000012.0007');
    expect(parseReplayCursor('r.0000000012.0007')).toEqual({ block: 12, index: 7 });
    expect(parseReplayCursor('d.123')).toBeUndefined();
    expect(replayCursor(9, 999) < replayCursor(10, 0)).toBe(true);
  });
});

describe('ReplaySource', () => {
  it('backfills the history window, then emits each line when the clock reaches it', async () => {
    const base = REPLAY_EPOCH_MS + 10 * 24 * HOUR + 12_345;
    const t0 = Date.now();
    const now = () => base + (Date.now() - t0);
    const source = new ReplaySource({ speed: 200, historyHours: 0.05, now });
    expect(source.kind).toBe('replay');
    // How long this process could not run its timers (a loaded machine does not give it the CPU): a line
    // can be late by that much without the source being late.
    const stalls = monitorEventLoopDelay({ resolution: 10 });
    stalls.enable();
    const liveReceipts: { line: SourceLine; at: number }[] = [];
    let live = false;
    let liveFrom = Infinity;
    const events = await readUntil(
      source,
      (ev) => {
        if (isLive(ev)) {
          live = true;
          liveFrom = now();
          stalls.reset(); // from here on: the backfill's own long batches are over
        }
        if (ev.type === 'lines' && ev.live)
          for (const line of ev.lines) liveReceipts.push({ line, at: now() });
        return live && now() - liveFrom > 1_500; // about 300 s of replay: more than a block
      },
      { ms: 10_000 },
    );
    stalls.disable();
    const stalledMs = stalls.max / 1e6;

    const first = events[0]!;
    expect(first.type === 'status' && first.status).toMatchObject({
      source: 'replay',
      state: 'backfill',
      detail: 'demo replay at 200× speed (generated log, no runner-node needed)',
      backfill: { entries: 0, done: false },
    });
    const liveAt = events.findIndex(isLive);
    const backfill = events.slice(0, liveAt).filter((ev) => ev.type === 'lines');
    for (const ev of backfill) {
      expect(ev.type === 'lines' && !ev.live && ev.lines.length <= MAX_BATCH_LINES).toBe(true);
    }
    const backLines = linesOf(backfill);
    // 0.05 h at 200× is 150 blocks of about 190 lines.
    expect(backLines.length).toBeGreaterThan(20_000);
    expectIncreasing(backLines);
    const from = base - 0.05 * HOUR;
    const start = parseReplayCursor(backLines[0]!.cursor)!;
    expect(timeOf(source, backLines[0]!.cursor)).toBeGreaterThanOrEqual(from);
    const before = start.index > 0 ? start.index - 1 : undefined;
    if (before !== undefined)
      expect(source.lineTime(start.block, source.block(start.block)[before]!.offsetMs)).toBeLessThan(from);
    expect(timeOf(source, backLines.at(-1)!.cursor)).toBeLessThanOrEqual(base + (Date.now() - t0));
    const liveStatus = events[liveAt]!;
    const entries = backLines.filter((l) => /^\d{4}-\d\d-\d\d /.test(l.text)).length;
    expect(liveStatus.type === 'status' && liveStatus.status.backfill).toEqual({ entries, done: true });
    expect(backLines.every((l) => l.ts === undefined && l.stream === 'stdout')).toBe(true);

    // Live lines come on time (never early; those due after the backfill without much delay), continuing
    // the cursors. Lines that fell due while the backfill ran come first, at once.
    expect(liveReceipts.length).toBeGreaterThan(150);
    expectIncreasing([...backLines, ...liveReceipts.map((r) => r.line)]);
    let onTime = 0;
    for (const { line, at } of liveReceipts) {
      const due = timeOf(source, line.cursor);
      expect(at).toBeGreaterThanOrEqual(due);
      if (due < liveFrom) continue;
      expect(at - due, `the longest stall was ${Math.round(stalledMs)} ms`).toBeLessThan(500 + stalledMs);
      onTime++;
    }
    expect(onTime).toBeGreaterThan(50);
    // The runner's own timestamp on a line is its replay time.
    const entry = liveReceipts.map((r) => r.line).find((l) => /^\d{4}-/.test(l.text))!;
    const stamp = new Date(Math.floor(timeOf(source, entry.cursor) / 1000) * 1000).toISOString();
    expect(entry.text.slice(0, 19)).toBe(`${stamp.slice(0, 10)} ${stamp.slice(11, 19)}`);
  });

  it('is the same stream on every read', async () => {
    const now = () => REPLAY_EPOCH_MS + 5 * HOUR;
    const a = linesOf(await readUntil(new ReplaySource({ historyHours: 0.5, now }), isLive));
    const b = linesOf(await readUntil(new ReplaySource({ historyHours: 0.5, now }), isLive));
    expect(a.length).toBeGreaterThan(1_000);
    expect(b).toEqual(a);
    const other = linesOf(await readUntil(new ReplaySource({ historyHours: 0.5, now, seed: 2 }), isLive));
    expect(other.map((l) => l.text)).not.toEqual(a.map((l) => l.text));
  });

  it('resumes after a cursor: re-reads the correlation window and then every later line once', async () => {
    const now = () => REPLAY_EPOCH_MS + 30 * HOUR;
    const source = new ReplaySource({ historyHours: 2, now });
    const first = linesOf(await readUntil(source, isLive));
    const cut = Math.floor(first.length / 2);
    const after = first[cut]!.cursor;
    const again = linesOf(await readUntil(source, isLive, { after }));
    expectIncreasing(again);
    const cursorTime = timeOf(source, after);
    expect(timeOf(source, again[0]!.cursor)).toBeGreaterThanOrEqual(cursorTime - 24 * HOUR);
    expect(timeOf(source, again[0]!.cursor)).toBeLessThan(cursorTime - 24 * HOUR + BLOCK_MS);
    expect(again.filter((l) => l.cursor > after)).toEqual(first.slice(cut + 1));

    // Near the epoch the window is cut at the epoch.
    const early = new ReplaySource({ historyHours: 2, now: () => REPLAY_EPOCH_MS + HOUR });
    const earlyLines = linesOf(await readUntil(early, isLive, { after: replayCursor(3, 0) }));
    expect(earlyLines[0]!.cursor).toBe(replayCursor(0, 0));
  });

  it('follows live only when the cursor is after now', async () => {
    const source = new ReplaySource({ now: () => REPLAY_EPOCH_MS + 30 * HOUR });
    const events = await readUntil(source, isLive, { after: replayCursor(999_999, 0) });
    expect(events).toHaveLength(1);
    expect(isLive(events[0]!)).toBe(true);
  });

  it('ends promptly when aborted while waiting for the next line', async () => {
    const source = new ReplaySource({ historyHours: 0, now: () => REPLAY_EPOCH_MS + 30 * HOUR + 1 });
    const ac = new AbortController();
    const it = source.read({ signal: ac.signal })[Symbol.asyncIterator]();
    expect(isLive((await it.next()).value as SourceEvent)).toBe(true);
    const pending = it.next();
    await new Promise((resolve) => setTimeout(resolve, 30));
    const t = Date.now();
    ac.abort();
    const result = await pending;
    // The wait it cuts short is a second long (the replay reads its clock again at least every second): half
    // of that tells the two apart and leaves room for a loaded machine's pauses.
    expect(Date.now() - t).toBeLessThan(500);
    // Whatever was due before the abort may still come; then the stream ends.
    if (!result.done) expect((await it.next()).done).toBe(true);
  });
});
