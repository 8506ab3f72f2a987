// npm run aggregator: one aggregator instance, configured from the environment (see aggregator/README.md).
// A setting to fix (a variable, credentials, a server without JetStream) ends it with one line, exit 1.
import { startAggregator } from './aggregator.ts';
import { readConfig } from './config.ts';
import { runService } from './run-service.ts';

await runService('aggregator', () => startAggregator(readConfig()));
