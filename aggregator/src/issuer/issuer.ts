// One issuer: its keys, its policy, its allowances and its HTTP API, served on the configured port.
import { serve, type ServerType } from '@hono/node-server';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Hono } from 'hono';
import { Allowances } from './allowances.ts';
import type { Attester } from './attester.ts';
import type { IssuerConfig } from './config.ts';
import { devAttester } from './dev-attester.ts';
import { createIssuerHttp } from './http.ts';
import { inviteAttester } from './invite-attester.ts';
import { InviteBook } from './invites.ts';
import { KeyRing } from './keys.ts';
import { keysFileOf, writeKeysFile } from './keys-file.ts';
import { openAttester } from './open-attester.ts';

const ROTATE_EVERY_MS = 3600_000;

export function invitesFile(dataDir: string): string {
  return join(dataDir, 'invites.json');
}

/** Makes and drops keys for now, and writes the keys file the aggregator reads. */
function rotate(keys: KeyRing, dataDir: string): void {
  const now = Date.now();
  keys.rotate(now);
  writeKeysFile(keysFileOf(dataDir), keys.keys(now));
}

export interface IssuerParts {
  app: Hono;
  keys: KeyRing;
  attester: Attester;
}

/** The issuer's parts, its keys made for now; nothing listens yet. */
export function createIssuer(config: IssuerConfig, log: (line: string) => void = console.log): IssuerParts {
  // Open to all (its private files are 0600 each): the aggregator, perhaps another user, reads the keys file.
  mkdirSync(config.dataDir, { recursive: true, mode: 0o755 });
  const keys = new KeyRing(join(config.dataDir, 'keys'), log);
  rotate(keys, config.dataDir);
  const attester =
    config.policy === 'dev'
      ? devAttester
      : config.policy === 'open'
        ? openAttester(config.powBits)
        : inviteAttester(new InviteBook(invitesFile(config.dataDir)));
  const allowances = new Allowances(join(config.dataDir, 'allowances.json'), {
    perWeek: { presence: config.presenceTokensPerWeek, task: config.taskTokensPerWeek },
    perKey: config.tokensPerKey,
    maxSubjects: config.maxSubjects,
  });
  return {
    app: createIssuerHttp({ issuerName: config.issuerName, keys, attester, allowances }),
    keys,
    attester,
  };
}

export interface Issuer {
  url: string;
  stop(): Promise<void>;
}

export async function startIssuer(
  config: IssuerConfig,
  log: (line: string) => void = console.log,
): Promise<Issuer> {
  const { app, keys, attester } = createIssuer(config, log);
  const timer = setInterval(() => {
    try {
      rotate(keys, config.dataDir);
    } catch (error) {
      log(`issuer: rotating the keys failed: ${String(error)}`);
    }
  }, ROTATE_EVERY_MS);
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, port: config.httpPort, hostname: config.httpHost }, () => resolve(s));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.httpPort;
  const url = `http://${config.httpHost}:${port}`;
  log(`issuer: ${config.issuerName}, policy ${attester.policy}, HTTP on ${url}`);
  return {
    url,
    async stop() {
      clearInterval(timer);
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
