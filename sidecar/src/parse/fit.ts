// Cuts the text fields of an entry to the contract's limits (a hostile or very long line, or redaction that
// made a text longer), so every entry the sidecar sends validates; a cut entry is flagged `truncated`.
import { LIMITS, type Entry, type Status } from '../../../protocol/node-events.ts';

export function fitContract(entry: Entry): void {
  let cut = false;
  const clip = <T extends string | undefined>(value: T, max: number): T => {
    if (value === undefined || value.length <= max) return value;
    cut = true;
    return value.slice(0, max) as T;
  };
  entry.message = clip(entry.message, LIMITS.message);
  entry.text = clip(entry.text, LIMITS.text);
  entry.component = clip(entry.component, LIMITS.component);
  entry.version = clip(entry.version, LIMITS.version);
  entry.topic = clip(entry.topic, LIMITS.topic);
  if (entry.task) {
    entry.task.taskId = clip(entry.task.taskId, LIMITS.taskId);
    entry.task.path = clip(entry.task.path, LIMITS.path);
  }
  if (entry.slots) entry.slots.subscriber = clip(entry.slots.subscriber, LIMITS.subscriber);
  if (cut) entry.truncated = true;
}

/** Cuts a status's free text to the contract's limits (a long container name or socket path). */
export function fitStatus(status: Status): Status {
  const fitted: Status = { ...status };
  if (fitted.detail !== undefined && fitted.detail.length > 500)
    fitted.detail = fitted.detail.slice(0, 497) + '...';
  if (fitted.container) {
    const { name, id, state } = fitted.container;
    fitted.container = {
      ...fitted.container,
      name: name.slice(0, 200),
      state: state.slice(0, 40),
      ...(id !== undefined && { id: id.slice(0, 80) }),
    };
  }
  return fitted;
}
