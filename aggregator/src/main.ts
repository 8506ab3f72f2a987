// npm run aggregator: one aggregator instance, configured from the environment (see aggregator/README.md).
// A setting to fix (a variable, credentials, a server without JetStream) ends it with one line, exit 1.
import { startAggregator, type Aggregator } from './aggregator.ts';
import { readConfig } from './config.ts';
import { StartError } from './start-error.ts';

let aggregator: Aggregator;
try {
  aggregator = await startAggregator(readConfig());
} catch (error) {
  console.error(error instanceof StartError ? `aggregator: ${error.message}` : error);
  process.exit(1);
}
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    void aggregator.stop().then(() => process.exit(0));
  });
