import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { leadingZeroBits, proofOfWorkInput, solveProofOfWork } from './proof-of-work.ts';

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
    const digest = (r: Uint8Array, c: number) => createHash('sha256').update(proofOfWorkInput(r, c)).digest();
    expect(leadingZeroBits(digest(request, counter))).toBeGreaterThanOrEqual(10);
    const other = new Uint8Array(259).fill(8);
    expect(proofOfWorkInput(other, counter)).not.toEqual(proofOfWorkInput(request, counter));
  });
});
