import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { processUsage, waitReady } from './child-process.ts';

const node = (code: string) => spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });

describe('waitReady', () => {
  it('resolves with the ready line, also when it comes on stderr after other output', async () => {
    const child = node(
      `console.log('starting'); setTimeout(() => console.error('ready on http://x:1'), 50); setTimeout(() => {}, 5000);`,
    );
    const started = await waitReady(child, /ready on (\S+)/, 'demo', 5000);
    expect(started.match[1]).toBe('http://x:1');
    expect(started.log()).toContain('starting');
    expect(processUsage(child.pid!).rssMb).toBeGreaterThan(1);
    child.kill();
  });

  it('rejects with what the child printed when it exits first', async () => {
    const child = node(`console.error('bad config'); process.exit(3);`);
    await expect(waitReady(child, /ready/, 'demo', 5000)).rejects.toThrow(/demo exited with 3:\nbad config/);
  });

  it('rejects when the ready line never comes, and keeps only the end of the output', async () => {
    const child = node(`process.stdout.write('x'.repeat(200000)); setTimeout(() => {}, 5000);`);
    const error = await waitReady(child, /ready/, 'demo', 500).catch((e: Error) => e);
    child.kill();
    expect(String(error)).toMatch(/demo did not start/);
    expect(String(error).length).toBeLessThan(60_000);
  });
});
