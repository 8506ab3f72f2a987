// A source over lines held in memory, for fast unit tests of the pipeline and the HTTP layer (the real sources
// have their own tests against real files and a real Docker Engine API). Lines appended later are live.
// It stands in for a file source: the wire knows only the real sources' kinds, so it reports itself as one,
// with file-style cursors, and says what it is in its description.
import type { LogSource, ReadOptions, SourceEvent, SourceLine } from '../../sidecar/src/sources/source.ts';

export class MemorySource implements LogSource {
  readonly kind = 'file' as const;
  readonly description = 'lines in memory (a stand-in for a file source)';
  private readonly lines: SourceLine[] = [];
  private waiters: (() => void)[] = [];

  constructor(texts: string[] = []) {
    this.append(...texts);
  }

  append(...texts: string[]): void {
    for (const text of texts)
      this.lines.push({
        cursor: `f.m.${String(this.lines.length).padStart(8, '0')}`,
        stream: 'stdout',
        text,
      });
    for (const wake of this.waiters.splice(0)) wake();
  }

  async *read({ after, signal }: ReadOptions): AsyncGenerator<SourceEvent> {
    let i = 0;
    let announced = false;
    const live = (): SourceEvent => {
      announced = true;
      return { type: 'status', status: { source: 'file', state: 'live' } };
    };
    const backfillEnd = this.lines.length;
    yield { type: 'status', status: { source: 'file', state: 'backfill' } };
    while (!signal.aborted) {
      if (i < backfillEnd) {
        const end = Math.min(backfillEnd, i + 100);
        // Like a real source, it may re-deliver lines before `after`, here only the one just before it.
        const batch = this.lines
          .slice(i, end)
          .filter((l, j) => after === undefined || l.cursor >= after || j === i);
        i = end;
        yield { type: 'lines', lines: batch, live: false };
        if (i === backfillEnd) yield live();
        continue;
      }
      if (!announced) yield live();
      if (i < this.lines.length) {
        yield { type: 'lines', lines: this.lines.slice(i), live: true };
        i = this.lines.length;
        continue;
      }
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        signal.addEventListener('abort', () => resolve(), { once: true });
      });
    }
  }
}
