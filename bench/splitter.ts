// The bare one-regex line splitter the parser's command is measured against: read the file, split it on a line
// regex, print the number of lines (`node -e SPLITTER FILE`).
export const SPLITTER = [
  "const text = require('node:fs').readFileSync(process.argv[1], 'utf8');",
  'console.log(text.split(/\\r?\\n/).length);',
].join('\n');
