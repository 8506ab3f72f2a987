// "Clear all data" (Settings): everything this app stored in this browser about the node — the monitor
// database's history (entries, tasks, invoices, node state, stream position; the ingest then receives the whole
// history again from the sidecar) and federation's database (sent log, received feed, outbox, the opt-in and the
// install's state). Kept: the pairing with the sidecar and the app's settings (theme, retention, alerts).
import { FEDERATION_DB } from '../federation/db-name.ts';
import { rememberEnabled } from '../federation/page/enabled-flag.ts';
import { monitorDb } from './monitor-db.svelte.ts';

/** What the operator is asked to confirm: exactly what clearAllData() deletes, and what it keeps. */
export const CLEAR_ALL_DATA_QUESTION =
  'Delete everything truwatch stored in this browser?\n\n' +
  '• Monitor: every log entry, task, invoice, the node state and the stream position (the sidecar then sends ' +
  'its whole history again).\n' +
  '• Federation: the sent log, the received network feed, the outbox, the opt-in and this install’s state ' +
  '(federation is turned off).\n\n' +
  'Kept: the pairing with the sidecar and the settings on this page.';

/** Deletes a database; `onBlocked` when a connection (an old tab) keeps it open: it waits until that closes. */
export function deleteDatabase(name: string, onBlocked?: () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error ?? new Error(`could not delete the database ${name}`));
    request.onblocked = () => onBlocked?.();
  });
}

export async function clearAllData(onBlocked?: () => void): Promise<void> {
  await monitorDb.clearAll();
  // Federation's worker closes its connection when asked to (federation-db.ts, `blocking`), in every tab.
  await deleteDatabase(FEDERATION_DB, onBlocked);
  rememberEnabled(false);
}
