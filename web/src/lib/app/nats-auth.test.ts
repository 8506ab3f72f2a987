import { createUser, fromPublic } from '@nats-io/nkeys';
import { describe, expect, it } from 'vitest';
import { natsAuth } from './nats-auth.ts';

describe('natsAuth', () => {
  it('signs the server nonce with the seed of a .creds file and presents its JWT', () => {
    const user = createUser();
    const seed = new TextDecoder().decode(user.getSeed());
    const jwt = 'eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiJVIn0.c2ln';
    const creds = `-----BEGIN NATS USER JWT-----\n${jwt}\n------END NATS USER JWT------\n\n-----BEGIN USER NKEY SEED-----\n${seed}\n------END USER NKEY SEED------\n`;
    // As written by the command, pasted without its last newline, or with Windows line ends.
    for (const text of [creds, creds.trim(), creds.replace(/\n/g, '\r\n')]) {
      const options = natsAuth({ user: 'monitor', password: 'monitor', creds: text });
      expect(options).not.toHaveProperty('user');
      const nonce = 'server-nonce';
      const answer = (
        options.authenticator as (nonce?: string) => { jwt: string; nkey: string; sig: string }
      )(nonce);
      expect(answer.jwt).toBe(jwt);
      expect(answer.nkey).toBe(user.getPublicKey());
      const sig = Uint8Array.from(atob(answer.sig.replace(/-/g, '+').replace(/_/g, '/')), (c) =>
        c.charCodeAt(0),
      );
      expect(fromPublic(user.getPublicKey()).verify(new TextEncoder().encode(nonce), sig)).toBe(true);
    }
  });

  it('uses the user and password without a .creds file', () => {
    expect(natsAuth({ user: 'monitor', password: 'monitor', creds: '' })).toEqual({
      user: 'monitor',
      pass: 'monitor',
    });
  });
});
