import { AuthorizationError, PermissionViolationError, TimeoutError } from '@nats-io/nats-core';
import { describe, expect, it } from 'vitest';
import { FED_ERRORS } from '../codes.ts';
import { classify } from './errors.ts';
import { IdentityError } from './identity.ts';

describe('federation error codes', () => {
  it('has eleven codes, each with a title and a fix', () => {
    expect(Object.keys(FED_ERRORS)).toEqual(
      Array.from({ length: 11 }, (_, i) => `FED_${String(i + 1).padStart(3, '0')}`),
    );
    for (const e of Object.values(FED_ERRORS)) expect(e.fix.length).toBeGreaterThan(20);
  });

  it('maps what the client, the browser and the federation database throw', () => {
    const quota = Object.assign(new Error('quota'), { name: 'QuotaExceededError' });
    const security = Object.assign(new Error('insecure WebSocket from https'), { name: 'SecurityError' });
    expect(classify(new PermissionViolationError('no', 'publish', 'truebit.v1.task')).code).toBe('FED_010');
    expect(classify(new AuthorizationError('Authorization Violation')).code).toBe('FED_002');
    expect(classify(new Error('unable to parse credentials')).code).toBe('FED_002');
    expect(classify(new TimeoutError()).code).toBe('FED_007');
    expect(classify(new IdentityError('bad')).code).toBe('FED_005');
    expect(classify(quota).code).toBe('FED_006');
    expect(classify(security).code).toBe('FED_008');
    expect(classify(new Error('maximum connections exceeded')).code).toBe('FED_004');
    expect(classify(new Error('connection refused')).code).toBe('FED_001');
  });
});
