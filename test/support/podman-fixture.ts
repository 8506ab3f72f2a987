// A test file's podman engine (podman-engine.ts) and a recording proxy in front of its API (recording-proxy.ts),
// started before its tests and stopped after.
import { afterAll, beforeAll } from 'vitest';
import { startEngine, startRecordingProxy, type Engine, type RecordingProxy } from './podman-engine.ts';

export function usePodman(): { engine(): Engine; proxy(): RecordingProxy } {
  let engine: Engine;
  let proxy: RecordingProxy;
  beforeAll(async () => {
    engine = await startEngine();
    proxy = await startRecordingProxy(engine.socketPath);
  });
  afterAll(async () => {
    await proxy?.close();
    await engine?.stop();
  });
  return { engine: () => engine, proxy: () => proxy };
}
