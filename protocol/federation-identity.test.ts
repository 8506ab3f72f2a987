import { randomBytes } from 'node:crypto';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { NODE_SECRET_BYTES, NodeSecretSchema } from './federation-identity.ts';

const since = '2026-11-21T10:41:12.000Z';
const valid = (value: unknown) => v.safeParse(NodeSecretSchema, value).success;

describe("the node's secret as the sidecar hands it", () => {
  it('accepts any 32 bytes in base64url', () => {
    for (let i = 0; i < 200; i++)
      expect(valid({ secret: randomBytes(NODE_SECRET_BYTES).toString('base64url'), since })).toBe(true);
  });

  it('refuses other sizes, other alphabets, padding, unknown keys and a time that is not one', () => {
    const secret = randomBytes(32).toString('base64url');
    expect(valid({ secret: randomBytes(31).toString('base64url'), since })).toBe(false);
    expect(valid({ secret: randomBytes(33).toString('base64url'), since })).toBe(false);
    expect(valid({ secret: randomBytes(32).toString('base64'), since })).toBe(false);
    expect(valid({ secret: secret + '=', since })).toBe(false);
    // 43 characters whose last one holds bits past the 32nd byte.
    expect(valid({ secret: secret.slice(0, 42) + 'B', since })).toBe(false);
    expect(valid({ secret, since, node: 'x' })).toBe(false);
    expect(valid({ secret, since: 'yesterday' })).toBe(false);
  });
});
