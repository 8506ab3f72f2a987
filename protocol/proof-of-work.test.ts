import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { leadingZeroBits, proofOfWorkInput, searchProofOfWork, solveProofOfWork } from './proof-of-work.ts';

const nodeBits = (request: Uint8Array, counter: number) =>
  leadingZeroBits(createHash('sha256').update(proofOfWorkInput(request, counter)).digest());

describe('proof of work', () => {
  it('counts leading zero bits', () => {
    expect(leadingZeroBits(new Uint8Array([0x80]))).toBe(0);
    expect(leadingZeroBits(new Uint8Array([0x01, 0xff]))).toBe(7);
    expect(leadingZeroBits(new Uint8Array([0, 0, 0x10]))).toBe(19);
    expect(leadingZeroBits(new Uint8Array(4))).toBe(32);
  });

  it('solves a proof bound to its request that node’s SHA-256 confirms', async () => {
    const request = new Uint8Array(259).fill(7);
    const counter = await solveProofOfWork(request, 10);
    expect(nodeBits(request, counter)).toBeGreaterThanOrEqual(10);
    const other = new Uint8Array(259).fill(8);
    expect(proofOfWorkInput(other, counter)).not.toEqual(proofOfWorkInput(request, counter));
  });

  it('finds the same first counter as node’s SHA-256 of the whole input, past 2^32 too', () => {
    for (const [fill, from, length] of [
      [1, 0, 259],
      [2, 0, 259],
      [3, 2 ** 32 - 300, 259],
      [4, 2 ** 40 + 12345, 259],
      [5, 0, 17], // a request of another length: the counter ends in another block
    ] as const) {
      const request = new Uint8Array(length).fill(fill);
      let expected = from;
      while (nodeBits(request, expected) < 8) expected++;
      expect(searchProofOfWork(request, 8, from, from + 100_000)).toBe(expected);
      expect(searchProofOfWork(request, 8, from, expected)).toBeUndefined();
    }
  });

  it('stops when its signal is aborted', async () => {
    const controller = new AbortController();
    const solving = solveProofOfWork(new Uint8Array(259), 40, controller.signal);
    setTimeout(() => controller.abort(new Error('stopped')), 20);
    await expect(solving).rejects.toThrow('stopped');
  });
});
