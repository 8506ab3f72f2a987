// Decentralized auth under test: generates an operator, accounts and users with the project's command
// (scripts/federation-auth.ts) into a temp dir, starts nats-server with nats/prod-jwt/nats.conf and that
// auth.conf, and reads the generated JWTs back in the shape of nats/users.conf, so a test can compare them.
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode, type Account, type User } from '@nats-io/jwt';
import {
  generateFederationAuth,
  type AuthLayout,
  type AuthOptions,
  type UserName,
} from '../../scripts/federation-auth.ts';
import { startNatsServer, type NatsServer } from './nats-server.ts';
import type { TestCertificate } from './test-certificate.ts';

export const PROD_JWT_CONF = new URL('../../nats/prod-jwt/nats.conf', import.meta.url).pathname;

export interface GeneratedAuth extends AuthLayout {
  dir: string;
  /** The contents of a user's .creds file. */
  read(user: UserName): Uint8Array;
  remove(): void;
}

/** Runs the command's function into a new temp dir. */
export async function generateAuth(options: Omit<AuthOptions, 'out'> = {}): Promise<GeneratedAuth> {
  const dir = mkdtempSync(join(tmpdir(), 'truwatch-auth-'));
  const layout = await generateFederationAuth({ ...options, out: dir });
  return {
    ...layout,
    dir,
    read: (user) => readFileSync(layout.creds[user]),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** nats-server with nats/prod-jwt/nats.conf (copied beside the generated auth.conf it includes). */
export function startJwtServer(auth: GeneratedAuth, certificate: TestCertificate): Promise<NatsServer> {
  const config = join(auth.dir, 'nats.conf');
  copyFileSync(PROD_JWT_CONF, config);
  return startNatsServer({
    config,
    env: {
      NATS_SERVER_NAME: 'truwatch-prod-jwt-test',
      NATS_HOST: '127.0.0.1',
      NATS_TLS_CERT: certificate.cert,
      NATS_TLS_KEY: certificate.key,
    },
  });
}

/** A user's publish and subscribe allow lists, as its JWT carries them. */
export function userPermissions(auth: GeneratedAuth, user: UserName): { pub: string[]; sub: string[] } {
  const jwt = /-----BEGIN NATS USER JWT-----\n(.+)\n/.exec(new TextDecoder().decode(auth.read(user)))![1]!;
  const claims = decode<User>(jwt);
  return { pub: claims.nats.pub?.allow ?? [], sub: claims.nats.sub?.allow ?? [] };
}

/**
 * Each account's exports and imports written as nats/users.conf writes them (accountWiring's form): an
 * export lists the accounts that import it with an activation token it signed for them.
 */
export function jwtWiring(auth: GeneratedAuth): Record<string, { exports: string; imports: string }> {
  const names = Object.fromEntries(Object.entries(auth.accounts).map(([name, a]) => [a.publicKey, name]));
  const claims = Object.fromEntries(
    Object.entries(auth.accounts).map(([name, a]) => [name, decode<Account>(a.jwt)]),
  );
  const wiring: Record<string, { exports: string; imports: string }> = {};
  for (const name of ['AGGREGATOR', 'MONITORS', 'PUBLIC']) {
    const account = claims[name]!;
    const exports = (account.nats.exports ?? []).map((e) => {
      const importers = Object.entries(claims)
        .filter(([, other]) =>
          (other.nats.imports ?? []).some((i) => {
            if (i.account !== account.sub || i.subject !== e.subject || i.type !== e.type || !i.token)
              return false;
            const activation = decode<{ subject: string; kind: string }>(i.token);
            return (
              activation.iss === account.sub &&
              activation.sub === other.sub &&
              activation.nats.subject === e.subject &&
              activation.nats.kind === e.type
            );
          }),
        )
        .map(([importer]) => importer);
      return `{${e.type}:"${e.subject}",accounts:[${importers.join(',')}]}`;
    });
    const imports = (account.nats.imports ?? []).map(
      (i) =>
        `{${i.type}:{account:${names[i.account]},subject:"${i.subject}"}${i.local_subject ? `,to:"${i.local_subject}"` : ''}}`,
    );
    wiring[name] = {
      exports: exports.length ? `[${exports.join('')}]` : '',
      imports: imports.length ? `[${imports.join('')}]` : '',
    };
  }
  return wiring;
}

/** A permission block of nats/users.conf (permissionBlocks' form) as allow lists. */
export function allowLists(block: string): { pub: string[]; sub: string[] } {
  const list = (key: string) => {
    const match = new RegExp(`${key}:{allow:\\[([^\\]]*)\\]}`).exec(block);
    return match ? [...match[1]!.matchAll(/"([^"]+)"/g)].map((m) => m[1]!) : [];
  };
  return { pub: list('publish'), sub: list('subscribe') };
}
