// Importing a backup, owned by this module rather than by the Settings page: it goes on when the operator moves
// to another page, and every page shows how it stands (components/ImportStatus.svelte). The import is one
// transaction in the monitor database's worker, so it is stored whole or not at all; a tab closed or reloaded
// while it runs loses it, and the next load of the tab says so (a marker in sessionStorage).
import { formatBytes, formatCount } from './format.ts';
import { monitorDb } from './monitor-db.svelte.ts';

export type ImportState =
  | { kind: 'idle' }
  | { kind: 'reading' | 'writing'; file: string; bytes: number; entries?: number; startedMs: number }
  | { kind: 'done'; file: string; entries: number; tasks: number; invoices: number }
  | { kind: 'failed'; file: string; error: string }
  | { kind: 'interrupted'; file: string };

const MARKER = 'truwatch.import';

/** Ask before leaving while an import runs: leaving ends the worker, and the import with it. */
function guard(event: BeforeUnloadEvent): void {
  event.preventDefault();
}

class BackupImport {
  state = $state<ImportState>({ kind: 'idle' });

  constructor() {
    const marker = globalThis.sessionStorage?.getItem(MARKER);
    if (marker) {
      sessionStorage.removeItem(MARKER);
      this.state = { kind: 'interrupted', file: marker };
    }
  }

  get running(): boolean {
    return this.state.kind === 'reading' || this.state.kind === 'writing';
  }

  /** Imports `file` (one at a time); the outcome is in `state`, never thrown. */
  async start(file: File): Promise<void> {
    if (this.running) return;
    const base = { file: file.name, bytes: file.size, startedMs: Date.now() };
    this.state = { kind: 'reading', ...base };
    sessionStorage.setItem(MARKER, file.name);
    addEventListener('beforeunload', guard);
    try {
      const data: unknown = JSON.parse(await file.text());
      const entries = (data as { entries?: unknown } | null)?.entries;
      this.state = { kind: 'writing', ...base, ...(Array.isArray(entries) && { entries: entries.length }) };
      const result = await monitorDb.importBackup(data);
      this.state = { kind: 'done', file: file.name, ...result };
    } catch (error) {
      this.state = { kind: 'failed', file: file.name, error: (error as Error).message };
    } finally {
      removeEventListener('beforeunload', guard);
      sessionStorage.removeItem(MARKER);
    }
  }

  dismiss(): void {
    if (!this.running) this.state = { kind: 'idle' };
  }
}

export const backupImport = new BackupImport();

/** One sentence for the operator. */
export function describeImport(state: ImportState): string {
  switch (state.kind) {
    case 'idle':
      return '';
    case 'reading':
      return `Importing ${state.file}: reading the file (${formatBytes(state.bytes)})…`;
    case 'writing':
      return `Importing ${state.file}: storing ${state.entries === undefined ? 'its' : formatCount(state.entries)} entries… It goes on on every page; keep this tab open until it is done.`;
    case 'done':
      return `Imported ${state.file}: ${formatCount(state.entries)} entries, ${formatCount(state.tasks)} tasks, ${formatCount(state.invoices)} invoices added or updated.`;
    case 'failed':
      return `Not imported: ${state.file}: ${state.error}. Nothing of it was stored.`;
    case 'interrupted':
      return `The import of ${state.file} did not finish: the page was closed or reloaded while it ran. Nothing of it was stored; import it again.`;
  }
}
