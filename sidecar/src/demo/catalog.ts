// What the demo worker runs: a handful of function and api tasks, the chains they come from, and the
// incidental lines (warnings, errors with stack traces, other @truebit components) a real runner also prints.
import { cidFor, hexFor, type Rng } from './random.ts';

export type DemoTaskKind = 'function' | 'api';

export interface TaskSpec {
  taskId: string;
  taskVersion: string;
  taskPath: string;
  kind: DemoTaskKind;
  /** Relative frequency among tasks of its kind. */
  weight: number;
  /** Median execution time in ms (log-normal around it). */
  medianMs: number;
  wasmSize: number;
  wasmHash: string;
  /** Typical peak memory in bytes. */
  memory: number;
  gasLimit: number;
  memoryLimit: number;
  /** The task input: a JSON document, as the transcript carries it (a string). */
  input: (rng: Rng) => string;
}

const JS_SOURCE =
  'function main(input){let a=0n,b=1n;for(let i=0;i<+input.Input;i++){[a,b]=[b,a+b]}return String(a)}';
const PY_SOURCE =
  'def main(d):\n    n = int(d["Input"])\n    return {"count": sum(all(k % p for p in range(2, int(k ** 0.5) + 1)) for k in range(2, n))}';

function numbers(rng: Rng, count: number, max: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(rng.int(0, max));
  return out;
}

function spec(
  name: string,
  taskVersion: string,
  kind: DemoTaskKind,
  weight: number,
  medianMs: number,
  memoryMiB: number,
  input: (rng: Rng) => string,
): TaskSpec {
  const taskId = name.startsWith('0x') ? name : `${name}/${taskVersion}`;
  return {
    taskId,
    taskVersion,
    taskPath: cidFor(taskId),
    kind,
    weight,
    medianMs,
    wasmSize: kind === 'api' ? 0 : 65_536 + (parseInt(hexFor(taskId, 5), 16) % 3_000_000),
    wasmHash: hexFor(`${taskId}#wasm`, 64),
    memory: memoryMiB * 1024 * 1024,
    gasLimit: memoryMiB > 256 ? 50_000_000_000 : 10_000_000_000,
    memoryLimit: memoryMiB > 256 ? 2_147_483_648 : 536_870_912,
    input,
  };
}

export const FUNCTION_TASKS: readonly TaskSpec[] = [
  spec('js_fibonacci', '1.0.0', 'function', 5, 900, 24, (r) =>
    JSON.stringify({ Input: String(r.int(10, 5000)), source: JS_SOURCE }),
  ),
  spec('py_primes', '1.2.0', 'function', 4, 3_500, 96, (r) =>
    JSON.stringify({ Input: String(r.int(1_000, 2_000_000)), source: PY_SOURCE }),
  ),
  spec('rs_sha256_chain', '1.0.0', 'function', 4, 2_200, 16, (r) =>
    JSON.stringify({ Input: r.hex(64), rounds: r.int(1_000, 500_000), encoding: 'hex' }),
  ),
  spec('rs_image_resize', '0.4.1', 'function', 2, 8_000, 320, (r) =>
    JSON.stringify({
      Input: `ipfs://${cidFor(`img-${r.int(1, 400)}`)}`,
      width: r.pick([64, 128, 256, 512]),
      height: r.pick([64, 128, 256, 512]),
      filter: r.pick(['lanczos3', 'bilinear', 'nearest']),
    }),
  ),
  spec('c_mandelbrot', '2.1.0', 'function', 2, 6_000, 64, (r) =>
    JSON.stringify({
      Input: { cx: (-0.745 + r.next() / 100).toFixed(6), cy: (0.113 + r.next() / 100).toFixed(6) },
      size: 256,
      iter: 2048,
    }),
  ),
  spec('cpp_sort_bench', '1.0.3', 'function', 2, 1_500, 48, (r) =>
    JSON.stringify({ Input: numbers(r, r.int(6, 20), 100_000), algorithm: 'introsort' }),
  ),
  spec(
    '0x9e4c76b2c1f86a698097d03c8628ae6b15fef3abba420f0d1fe0124398dfee48',
    '1.0.0',
    'function',
    3,
    1_200,
    32,
    (r) => JSON.stringify({ Input: String(r.int(1, 99)), source: 'function main(x){return x*x}' }),
  ),
  spec('py_json_transform', '0.9.0', 'function', 2, 2_800, 80, (r) =>
    JSON.stringify({
      Input: { records: numbers(r, r.int(3, 8), 9999).map((id) => ({ id, v: r.int(0, 100) })) },
      op: r.pick(['sum', 'mean', 'max']),
    }),
  ),
];

export const API_TASKS: readonly TaskSpec[] = [
  spec('api_coingecko_price', '1.0.0', 'api', 3, 450, 0, (r) =>
    JSON.stringify({
      url: `https://api.coingecko.com/api/v3/simple/price?ids=${r.pick(['avalanche-2', 'ethereum', 'matic-network'])}&vs_currencies=usd`,
      method: 'GET',
      headers: { accept: 'application/json' },
    }),
  ),
  spec('api_weather_openmeteo', '1.1.0', 'api', 2, 600, 0, (r) =>
    JSON.stringify({
      url: `https://api.open-meteo.com/v1/forecast?latitude=${r.int(-60, 60)}.5&longitude=${r.int(-150, 150)}.25&current=temperature_2m`,
      method: 'GET',
    }),
  ),
  spec('api_sports_scores', '0.3.0', 'api', 1, 800, 0, (r) =>
    JSON.stringify({
      url: 'https://example-sports.invalid/v2/scores',
      method: 'POST',
      body: { league: r.int(1, 40) },
    }),
  ),
];

export interface ChainSpec {
  chainId: string;
  weight: number;
  /** Block height at the generator's block 0 and seconds per chain block. */
  baseHeight: number;
  blockSeconds: number;
}

export const CHAINS: readonly ChainSpec[] = [
  { chainId: '43114', weight: 55, baseHeight: 61_234_000, blockSeconds: 2 },
  { chainId: '137', weight: 15, baseHeight: 64_500_000, blockSeconds: 2 },
  { chainId: '8453', weight: 20, baseHeight: 22_800_000, blockSeconds: 2 },
  { chainId: '1', weight: 10, baseHeight: 21_300_000, blockSeconds: 12 },
];

export const REQUESTERS: readonly string[] = [0, 1, 2, 3, 4, 5].map(
  (i) => `0x${hexFor(`requester-${i}`, 40)}`,
);
export const PEER_WORKERS: readonly string[] = [0, 1, 2, 3, 4, 5, 6].map(
  (i) => `0x${hexFor(`worker-${i}`, 40)}`,
);

/** A stand-alone entry: level, component (undefined = the runner itself), first line, continuation lines. */
export interface NoiseEntry {
  level: string;
  component?: string;
  message: string;
  continuation?: string[];
}

const STACKS: readonly string[][] = [
  [
    'Error: connect ECONNREFUSED 10.0.0.5:4222',
    '    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16)',
  ],
  [
    'Error: request timed out after 10000 ms',
    '    at Timeout._onTimeout (/app/node_modules/@truebit/transport/dist/rpc.js:88:23)',
    '    at listOnTimeout (node:internal/timers:573:17)',
    '    at process.processTimers (node:internal/timers:514:7)',
  ],
  [
    "TypeError: Cannot read properties of undefined (reading 'blockHash')",
    '    at TaskSubscriber.validate (/app/build/src/subscribers/task.js:142:31)',
    '    at TaskSubscriber.handle (/app/build/src/subscribers/task.js:77:18)',
    '    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)',
  ],
];

export function noiseEntry(rng: Rng, chainId: string): NoiseEntry {
  const r = rng.next();
  if (r < 0.35)
    return { level: 'warn', message: `RPC request to chain ${chainId} took ${rng.int(1_500, 9_000)} ms` };
  if (r < 0.45) return { level: 'warn', message: `Retrying NATS publish (attempt ${rng.int(2, 3)}/3)` };
  if (r < 0.6) {
    const stack = rng.pick(STACKS);
    return {
      level: 'error',
      message: rng.pick(['Failed to publish message', 'Unhandled error']),
      continuation: stack,
    };
  }
  if (r < 0.75)
    return {
      level: 'info',
      component: 'transport-nats:2.0.0-beta.5',
      message: rng.pick([
        'Heartbeat sent',
        'Reconnected to nats://nats.truebit.io:4222',
        'Subscription refreshed',
      ]),
    };
  if (r < 0.9)
    return {
      level: 'debug',
      component: 'wasm-cache:2.0.0-beta.5',
      message: `Cache ${rng.pick(['hit', 'miss', 'pruned'])} (${rng.int(20, 400)} modules, ${rng.int(5, 900)} MiB)`,
    };
  return { level: 'info', message: `Wallet balance checked on chain ${chainId}` };
}

export const STDERR_TEXTS: readonly string[][] = [
  ['wasm trap: unreachable'],
  ['wasm trap: out of bounds memory access'],
  [
    'Error: failed to run main module `task.wasm`',
    'Caused by:',
    '    0: failed to invoke command default',
    '    1: all fuel consumed',
  ],
  [
    "thread 'main' panicked at src/main.rs:41:18:",
    'called `Result::unwrap()` on an `Err` value: ParseIntError { kind: InvalidDigit }',
  ],
  [
    'Traceback (most recent call last):',
    '  File "main.py", line 3, in main',
    'ValueError: invalid literal for int() with base 10',
  ],
];
