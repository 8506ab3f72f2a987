// A small seeded PRNG (sfc32, 128-bit state) and the random shapes the generator needs: no Math.random, so a
// block of the demo log is the same every time it is generated.

/** Mixes a 32-bit value (splitmix32's finaliser): spreads nearby seeds far apart. */
export function mix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x21f0aaad);
  x = Math.imul(x ^ (x >>> 15), 0x735a2d97);
  return (x ^ (x >>> 15)) >>> 0;
}

const HEX = '0123456789abcdef';

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** Seeded by several integers (e.g. the global seed, a block number and a stream id). */
  constructor(...seeds: number[]) {
    this.a = mix32(seeds[0] ?? 0);
    this.b = mix32((seeds[1] ?? 0) ^ 0x5bd1e995);
    this.c = mix32((seeds[2] ?? 0) ^ 0x1b873593);
    this.d = mix32(Math.floor((seeds[1] ?? 0) / 0x1_0000_0000) ^ (seeds[3] ?? 0) ^ 0xcc9e2d51);
    for (let i = 0; i < 12; i++) this.u32();
  }

  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.u32() / 0x1_0000_0000;
  }

  /** Uniform integer in [lo, hi], both included. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** Picks by weight: `weights[i]` is the relative weight of `items[i]`. */
  weighted<T>(items: readonly T[], weights: readonly number[]): T {
    let total = 0;
    for (const w of weights) total += w;
    let r = this.next() * total;
    for (let i = 0; i < items.length; i++) {
      r -= weights[i]!;
      if (r < 0) return items[i]!;
    }
    return items[items.length - 1]!;
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = 1 - this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** Log-normal around a median, `sigma` in natural-log units. */
  logNormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }

  hex(chars: number): string {
    let s = '';
    while (s.length < chars) {
      let x = this.u32();
      for (let i = 0; i < 8 && s.length < chars; i++) {
        s += HEX[x & 15];
        x >>>= 4;
      }
    }
    return s;
  }

  /** A version-4-shaped UUID. */
  uuid(): string {
    return `${this.hex(8)}-${this.hex(4)}-4${this.hex(3)}-${HEX[8 + this.int(0, 3)]}${this.hex(3)}-${this.hex(12)}`;
  }
}

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

/** An IPFS CIDv0-shaped path (`Qm` + 44 base58 characters), fixed for a given name. */
export function cidFor(name: string): string {
  let h = 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  const rng = new Rng(h, name.length, 0xc1d);
  let s = 'Qm';
  while (s.length < 46) s += BASE58[rng.int(0, 57)];
  return s;
}

/** A fixed 0x-hex string of `chars` digits for a name (addresses, hashes that must not change). */
export function hexFor(name: string, chars: number): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return new Rng(h, chars, 0x4e7).hex(chars);
}
