import { describe, expect, it } from 'vitest';
import type { ConnectionState, Problem } from './connection.ts';
import { devCommand, explain, localPort } from './explain.ts';

const DEV = 'ws://127.0.0.1:9222';
const REMOTE = 'wss://nats.example.org:443';
const failed = (problem: Problem, kind: 'error' | 'reconnecting' = 'error'): ConnectionState => ({
  kind,
  problem,
  retryAtMs: 0,
});

describe("the network page's connection in words", () => {
  it('takes a ws: URL on this machine for the development federation, with its port', () => {
    expect(localPort(DEV)).toBe('9222');
    expect(localPort('ws://localhost:8133')).toBe('8133');
    expect(localPort('ws://[::1]:9222')).toBe('9222');
    expect(localPort(REMOTE)).toBeUndefined();
    expect(localPort('ws://10.0.0.5:9222')).toBeUndefined();
    expect(localPort('not a url')).toBeUndefined();
    expect(devCommand('9222')).toBe('npm run federation:dev');
    expect(devCommand('8133')).toBe('NATS_WS_PORT=8133 npm run federation:dev');
  });

  it('says what it tries, and that it waits for the first statistics once connected', () => {
    expect(explain({ kind: 'connecting' }, undefined, false).detail).toMatch(/which server/);
    expect(explain({ kind: 'connecting' }, DEV, false).detail).toBe(
      `Connecting to the network server at ${DEV}…`,
    );
    expect(explain({ kind: 'live' }, DEV, true)).toEqual({ label: 'Live' });
    const waiting = explain({ kind: 'live' }, DEV, false);
    expect(waiting.label).toBe('Waiting for data');
    expect(waiting.detail).toContain(`Connected to ${DEV}, but no statistics have been published yet`);
    expect(waiting.hint).toContain('`npm run federation:dev` runs the aggregator');
    expect(explain({ kind: 'live' }, REMOTE, false).hint).toMatch(/aggregator is not running/);
  });

  it('says why it is not connected and what to do: the dev command only for a URL on this machine', () => {
    const down = explain(failed('unreachable'), DEV, false);
    expect(down.detail).toBe(
      `Cannot reach the network server at ${DEV}: the connection was refused or failed at once.`,
    );
    expect(down.hint).toContain('`npm run federation:dev`');
    expect(explain(failed('unreachable'), 'ws://127.0.0.1:8133', false).hint).toContain(
      '`NATS_WS_PORT=8133 npm run federation:dev`',
    );
    expect(explain(failed('unreachable'), REMOTE, false).hint).toMatch(/may be down/);
    expect(explain(failed('timeout'), REMOTE, false).detail).toMatch(/did not answer in time/);
    expect(explain(failed('auth'), REMOTE, false).detail).toMatch(/refused the page’s credentials/);
    expect(explain(failed('auth'), REMOTE, false).hint).toMatch(/config\.json/);
    expect(explain(failed('auth'), DEV, false).hint).toMatch(/`public`/);
    expect(explain(failed('permission'), REMOTE, false).detail).toMatch(/does not let this page read/);
    const lost = explain(failed('unreachable', 'reconnecting'), DEV, true);
    expect(lost.label).toBe('Reconnecting…');
    expect(lost.detail).toMatch(/^Lost the connection to ws:\/\/127\.0\.0\.1:9222\. Cannot reach/);
    expect(explain(failed('closed', 'reconnecting'), DEV, true).hint).toMatch(/still running/);
  });
});
