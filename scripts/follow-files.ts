// Prints what the file source reads from a runner log directory, as NDJSON events (lines and statuses):
//   tsx scripts/follow-files.ts <dir> [pollMs]
// A debugging aid, and how the tests read a directory as another (non-root) user.
import { FileSource } from '../sidecar/src/sources/file/file.ts';

const [dir, poll] = process.argv.slice(2);
if (!dir) {
  console.error('usage: tsx scripts/follow-files.ts <dir> [pollMs]');
  process.exit(2);
}
const controller = new AbortController();
process.on('SIGTERM', () => controller.abort());
for await (const event of new FileSource({ dir, pollMs: Number(poll ?? 250) }).read({
  signal: controller.signal,
})) {
  process.stdout.write(JSON.stringify(event) + '\n');
}
