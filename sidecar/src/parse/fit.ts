// Cuts the text fields of an entry to the contract's limits (a hostile or very long line, or redaction that
// made a text longer), so every entry the sidecar sends validates; a cut entry is flagged `truncated`.
import { LIMITS, type Entry, type Status } from '../../../protocol/node-events.ts';

// Read once: a property of an imported object can cost an accessor call per use, and this runs per entry.
const { message: MESSAGE, text: TEXT, component: COMPONENT, version: VERSION, topic: TOPIC } = LIMITS;
const { taskId: TASK_ID, path: PATH, subscriber: SUBSCRIBER } = LIMITS;

let cut = false;

/** `value` cut to `max` characters; notes the cut. (Module-level, not a closure: this runs for every entry.) */
function clip<T extends string | undefined>(value: T, max: number): T {
  if (value === undefined || value.length <= max) return value;
  cut = true;
  return value.slice(0, max) as T;
}

export function fitContract(entry: Entry): void {
  cut = false;
  entry.message = clip(entry.message, MESSAGE);
  entry.text = clip(entry.text, TEXT);
  entry.component = clip(entry.component, COMPONENT);
  entry.version = clip(entry.version, VERSION);
  entry.topic = clip(entry.topic, TOPIC);
  if (entry.task) {
    if (entry.task.taskId !== undefined) entry.task.taskId = clip(entry.task.taskId, TASK_ID);
    if (entry.task.path !== undefined) entry.task.path = clip(entry.task.path, PATH);
  }
  if (entry.slots?.subscriber !== undefined)
    entry.slots.subscriber = clip(entry.slots.subscriber, SUBSCRIBER);
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
