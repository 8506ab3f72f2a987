// The task-data password, as an operator finds it: printed once at first start (like the pairing link) and on
// request with `npm start -- --task-data-password`; the real sidecar (its bundle, as npm start runs it).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { poll } from '../../test/support/poll.ts';
import { runSidecarCommand, startSidecarProcess } from '../../test/support/sidecar-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'truwatch-password-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const env = { SOURCE: 'replay', HOST: '127.0.0.1', DATA_DIR: dir };
const shown = (output: string) => /task-data password, which shows.*:\n {2}(\S+)\n/.exec(output)?.[1];

describe('the task-data password', () => {
  it('is printed at the first start only, and is the one that opens task data', async () => {
    const first = await startSidecarProcess(env);
    let password: string | undefined;
    try {
      const output = await poll(
        'the password',
        async () => first.output(),
        (o) => !!shown(o),
      );
      password = shown(output)!;
      expect(password).toBe(readFileSync(join(dir, 'task-data-password'), 'utf8').trim());
      const io = (value: string) =>
        fetch(`${first.url}/api/tasks/no-such-execution/io`, {
          headers: { authorization: `Bearer ${first.apiKey}`, 'x-task-data-password': value },
        }).then((r) => r.status);
      expect(await io(password)).toBe(404); // past the password: no task data kept for that id
      expect(await io('wrong-password-0123456789')).toBe(403);
    } finally {
      await first.stop();
    }
    const second = await startSidecarProcess(env);
    try {
      const output = await poll(
        'the start',
        async () => second.output(),
        (o) => o.includes('source live'),
      );
      expect(output).not.toContain(password!);
    } finally {
      await second.stop();
    }
  });

  it('is printed on request, starting nothing', async () => {
    const result = await runSidecarCommand(['--task-data-password'], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(readFileSync(join(dir, 'task-data-password'), 'utf8').trim());
    expect(result.stdout).not.toContain('listening');
    const set = await runSidecarCommand(['--task-data-password'], {
      ...env,
      TASK_DATA_PASSWORD: 'operator-chosen-password',
    });
    expect(set.stdout).toContain('is the TASK_DATA_PASSWORD you set');
    expect(set.stdout).not.toContain('operator-chosen-password');
  });
});
