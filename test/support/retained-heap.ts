// The heap a child Node process keeps after a full garbage collection, read through its inspector (the child is
// started with --inspect=127.0.0.1:0): a memory bound that load and collection timing cannot move, unlike RSS.
import { once } from 'node:events';
import WebSocket from 'ws';

/** The inspector's WebSocket URL, from what the child printed at start. */
export function inspectorUrl(output: string): string {
  const url = /Debugger listening on (ws:\/\/\S+)/.exec(output)?.[1];
  if (!url) throw new Error('the process printed no inspector URL (started without --inspect?)');
  return url;
}

export async function retainedHeapMb(url: string): Promise<number> {
  const ws = new WebSocket(url);
  await once(ws, 'open');
  try {
    let lastId = 0;
    const answers = new Map<number, (result: unknown) => void>();
    ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as { id?: number; result?: unknown };
      if (message.id !== undefined) answers.get(message.id)?.(message.result);
    });
    const call = (method: string, params: object = {}) =>
      new Promise<unknown>((resolve) => {
        const id = ++lastId;
        answers.set(id, resolve);
        ws.send(JSON.stringify({ id, method, params }));
      });
    await call('HeapProfiler.collectGarbage');
    const evaluated = (await call('Runtime.evaluate', {
      expression: 'process.memoryUsage().heapUsed',
      returnByValue: true,
    })) as { result: { value: number } };
    return evaluated.result.value / 1024 ** 2;
  } finally {
    ws.close();
  }
}
