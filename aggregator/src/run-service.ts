// What `npm run aggregator` and `npm run issuer` share as processes: a start that fails on a setting to fix ends
// with one line naming the service (exit 1), any other failure with its stack; SIGINT or SIGTERM stops the
// service and exits 0.
import { StartError } from './start-error.ts';

export async function runService(
  name: string,
  start: () => Promise<{ stop(): Promise<void> }>,
): Promise<void> {
  let service: { stop(): Promise<void> };
  try {
    service = await start();
  } catch (error) {
    console.error(error instanceof StartError ? `${name}: ${error.message}` : error);
    process.exit(1);
  }
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      void service.stop().then(() => process.exit(0));
    });
}
