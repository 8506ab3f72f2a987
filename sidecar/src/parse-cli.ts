// npm run parse -- <log file | -> [--summary]
// Parses runner-node log text (any decorations, LF or CRLF): NDJSON of entries on stdout, or with --summary
// one JSON object { tasks, invoices, kinds }. `npm run parse` runs it from a bundle (scripts/parse.mjs).
import { parseFile, parseStream } from './parse/read-log.ts';
import { Summarizer } from './parse/summary.ts';
import type { Entry } from '../../protocol/node-events.ts';

const args = process.argv.slice(2);
const summary = args.includes('--summary');
const files = args.filter((a) => a !== '--summary');
if (files.length !== 1 || files[0] === '--help') {
  console.error('usage: npm run parse -- <log file | -> [--summary]');
  process.exit(2);
}
const file = files[0]!;

const summarizer = new Summarizer();
const out = process.stdout;
// A reader that stops reading (`| head`) is no error: stop quietly, as a Unix filter does.
out.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(0);
});
let pending = '';
const onEntries = (entries: Entry[]) => {
  if (summary) for (const e of entries) summarizer.add(e);
  else for (const e of entries) pending += JSON.stringify(e) + '\n';
  if (pending.length > 1 << 20) flushOut();
};
function flushOut() {
  if (pending) out.write(pending);
  pending = '';
}

try {
  const parser = await (file === '-' ? parseStream(process.stdin, onEntries) : parseFile(file, onEntries));
  if (summary) out.write(JSON.stringify(summarizer.result(), null, 2) + '\n');
  flushOut();
  const c = parser.counters;
  if (c.raw || c.truncated || c.jsonErrors)
    console.error(`parse: ${c.raw} raw, ${c.truncated} truncated, ${c.jsonErrors} with broken JSON`);
} catch (error) {
  console.error(`parse: cannot read ${file}: ${(error as Error).message}`);
  process.exit(1);
}
