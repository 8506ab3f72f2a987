// npm run aggregator: one aggregator instance, configured from the environment (see aggregator/README.md).
import { startAggregator } from './aggregator.ts';
import { readConfig } from './config.ts';

const aggregator = await startAggregator(readConfig());
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    void aggregator.stop().then(() => process.exit(0));
  });
