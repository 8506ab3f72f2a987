// Writes one benchmark's JSON report to bench/results/<name>.json, and prints it unless told not to.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

export function writeReport(name: string, figures: Record<string, unknown>, print = true): void {
  const report = {
    name,
    at: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpu: cpus()[0]?.model,
      memoryGb: Math.round(totalmem() / 2 ** 30),
      node: process.version,
    },
    ...figures,
  };
  const dir = new URL('./results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  writeFileSync(new URL(`${name}.json`, dir), JSON.stringify(report, null, 2) + '\n');
  if (print) console.log(JSON.stringify(report));
}
