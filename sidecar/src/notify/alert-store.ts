// The alerter's memory across restarts: DATA_DIR/alerts.json (0600, written whole and renamed over the old one).
// It holds the alert history with each delivery's state (so a pending delivery goes out after a restart and a sent
// one never again), the last verdict alerted and when (so a restart neither alerts it again nor cuts its cool-down
// short) and the suppressed count.
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import * as v from 'valibot';
import { AlertRecordSchema, type AlertRecord } from '../../../protocol/alerts.ts';
import { HEALTH_VERDICTS, type HealthVerdict } from '../../../protocol/node-health.ts';
import { firstIssue } from '../federation-settings.ts';
import { writeSecretFile } from '../secrets.ts';

export const ALERTS_FILE = 'alerts.json';
/**
 * Alerts kept, the newest. With the cool-down at most one alert goes out per cool-down (10 min): 200 span more
 * than a day, longer than a delivery is retried, so a record dropped here has no pending delivery left.
 */
export const MAX_HISTORY = 200;

const StoredSchema = v.object({
  lastAlerted: v.picklist(HEALTH_VERDICTS),
  /** When it was alerted (absent before the first alert, and in files of older versions). */
  lastAlertedAt: v.optional(v.pipe(v.string(), v.isoTimestamp())),
  suppressed: v.number(),
  /** Oldest first. */
  history: v.pipe(v.array(AlertRecordSchema), v.maxLength(MAX_HISTORY)),
});
export type StoredAlerts = v.InferOutput<typeof StoredSchema>;

export class AlertStore {
  private constructor(
    readonly path: string,
    readonly state: StoredAlerts,
  ) {}

  /** What the file at `path` holds; a missing one is a first start, a broken one is set aside (and said). */
  static open(path: string, log: (line: string) => void = console.error): AlertStore {
    const empty = (): StoredAlerts => ({ lastAlerted: 'healthy', suppressed: 0, history: [] });
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new AlertStore(path, empty());
      throw error;
    }
    let problem: string;
    try {
      const parsed = v.safeParse(StoredSchema, JSON.parse(text));
      if (parsed.success) return new AlertStore(path, parsed.output);
      problem = firstIssue(parsed.issues);
    } catch {
      problem = 'not JSON';
    }
    const aside = `${path}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    let kept = `set aside as ${aside}`;
    try {
      if (!existsSync(aside)) renameSync(path, aside);
    } catch (error) {
      kept = `cannot set it aside (${(error as NodeJS.ErrnoException).code ?? String(error)}), it will be replaced`;
    }
    log(
      `truwatch: ${path} is not an alert history (${problem}): ${kept}; starting with no alert history (the last alerted verdict counts as healthy)`,
    );
    return new AlertStore(path, empty());
  }

  get lastAlerted(): HealthVerdict {
    return this.state.lastAlerted;
  }

  /** Adds `record` as the newest, dropping the oldest past MAX_HISTORY. */
  add(record: AlertRecord): void {
    this.state.history.push(record);
    if (this.state.history.length > MAX_HISTORY)
      this.state.history.splice(0, this.state.history.length - MAX_HISTORY);
  }

  /** Writes the whole state; a failure is said and the next save tries again (memory stays right). */
  save(log: (line: string) => void = console.error): void {
    try {
      mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
      writeSecretFile(this.path, JSON.stringify(this.state));
    } catch (error) {
      log(`truwatch: cannot write ${this.path}: ${String(error)}`);
    }
  }
}
