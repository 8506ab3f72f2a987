// nats/prod-jwt/nats.conf with an auth.conf made by `npm run federation:auth` (its function), on Debian's
// nats-server 2.9.10: every user connects with its .creds only where it may, has the permissions of
// nats/users.conf, the accounts' exports and imports are those of nats/users.conf and still keep browsers'
// reply subjects away from the aggregator's JetStream, the system account answers, and account limits hold.
import { readFileSync, rmSync, statSync } from 'node:fs';
import { jetstreamManager } from '@nats-io/jetstream';
import { decode, type Account, type User } from '@nats-io/jwt';
import { credsAuthenticator, type NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INGEST_SUBJECTS, SUBJECTS } from '../../protocol/subjects.ts';
import { generateFederationAuth, type UserName } from '../../scripts/federation-auth.ts';
import { testConfig } from '../../test/support/federation-traffic.ts';
import {
  allowLists,
  generateAuth,
  jwtWiring,
  startJwtServer,
  userPermissions,
  type GeneratedAuth,
} from '../../test/support/nats-jwt.ts';
import { accountWiring, permissionBlocks } from '../../test/support/nats-prod-checks.ts';
import type { NatsServer } from '../../test/support/nats-server.ts';
import { poll } from '../../test/support/poll.ts';
import { wssCreds } from '../../test/support/nats-wss.ts';
import { checkReplyInjection } from '../../test/support/reply-injection.ts';
import { makeCertificate, type TestCertificate } from '../../test/support/test-certificate.ts';

const USERS_CONF = new URL('../users.conf', import.meta.url).pathname;
/** MONITORS' connection limit for these tests (20 000 by default). */
const MONITOR_CONNECTIONS = 3;

const wssUrl = (server: NatsServer) => server.wsUrl.replace('ws://127.0.0.1', 'wss://localhost');

/** The errors the server sends a connection (permission and limit violations). */
function errorsOf(nc: NatsConnection): string[] {
  const seen: string[] = [];
  void (async () => {
    for await (const s of nc.status()) if (s.type === 'error') seen.push(String(s.error));
  })();
  return seen;
}

/**
 * Reloads the server's config (SIGHUP) and waits until it says it is done: nats-server applies the accounts
 * before it logs "Reloaded server configuration", with its lock released between them, so a client can see the
 * new accounts while the reload goes on. `count` is the number of reloads the log shows once this one is done.
 */
async function reload(server: NatsServer, count: number): Promise<void> {
  server.child().kill('SIGHUP');
  await poll(
    `reload ${count} of the server's configuration`,
    async () => server.log().match(/Reloaded server configuration/g)?.length ?? 0,
    (n) => n >= count,
  );
}

/** The public key of the user a .creds file holds (the JWT's subject). */
function userKey(creds: Uint8Array): string {
  const jwt = /-----BEGIN NATS USER JWT-----\n(.+)\n/.exec(new TextDecoder().decode(creds))![1]!;
  return decode<User>(jwt).sub;
}

describe('the production configuration with decentralized auth (nats/prod-jwt)', () => {
  let certificate: TestCertificate;
  let auth: GeneratedAuth;
  let server: NatsServer;
  const tcp = (user: UserName, creds = auth.read(user)) =>
    connect({
      servers: server.url,
      authenticator: credsAuthenticator(creds),
      reconnect: false,
      ...(user === 'aggregator' ? { inboxPrefix: '_INBOX_aggregator' } : {}),
    });
  const browser = (user: 'monitor' | 'public', target = server) =>
    wssCreds(
      wssUrl(target),
      certificate.pem,
      auth.read(user),
      user === 'public' ? '_INBOX_public' : undefined,
    );

  beforeAll(async () => {
    certificate = makeCertificate();
    auth = await generateAuth({ limits: { MONITORS: { conn: MONITOR_CONNECTIONS } } });
    server = await startJwtServer(auth, certificate);
  });
  afterAll(async () => {
    await server?.close();
    auth?.remove();
    if (certificate) rmSync(certificate.dir, { recursive: true, force: true });
  });

  it('writes seeds and creds readable by their owner only, and no seed into auth.conf', () => {
    for (const file of [...Object.values(auth.creds), `${auth.dir}/keys/operator.nk`])
      expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(`${auth.dir}/keys`).mode & 0o777).toBe(0o700);
    const conf = readFileSync(auth.authConf, 'utf8');
    expect(conf).toContain('resolver: MEMORY');
    expect(conf).not.toMatch(/\bS[OAU][A-Z2-7]{50,}/);
  });

  it('is nats/prod/nats.conf with the generated auth instead of users.conf, and room for a JWT in CONNECT', () => {
    const settings = (file: string) =>
      readFileSync(new URL(file, import.meta.url), 'utf8')
        .split('\n')
        .map((line) => line.replace(/#.*$/, '').trim())
        .filter(Boolean);
    const prod = settings('../prod/nats.conf');
    const jwt = settings('./nats.conf');
    expect(jwt).toContain('include ./auth.conf');
    expect(jwt).toContain('max_control_line: 4096');
    const same = (lines: string[]) => lines.filter((l) => !/^(include |max_control_line:)/.test(l));
    expect(same(jwt)).toEqual(same(prod));
  });

  it('admits each user with its creds only over its connection type, and no other operator’s user', async () => {
    const aggregator = await tcp('aggregator');
    const monitor = await browser('monitor');
    const viewer = await browser('public');
    await Promise.all([aggregator.flush(), monitor.flush(), viewer.flush()]);
    await Promise.all([aggregator.close(), monitor.close(), viewer.close()]);
    // Browsers over WebSocket with TLS only; the aggregator over TCP only.
    await expect(tcp('monitor')).rejects.toThrow(/Authorization/i);
    await expect(tcp('public')).rejects.toThrow(/Authorization/i);
    await expect(
      wssCreds(wssUrl(server), certificate.pem, auth.read('aggregator'), '_INBOX_aggregator'),
    ).rejects.toThrow();
    const stranger = await generateAuth();
    try {
      await expect(tcp('aggregator', stranger.read('aggregator'))).rejects.toThrow(/Authorization/i);
    } finally {
      stranger.remove();
    }
  });

  it('gives each user the permissions of nats/users.conf, and the accounts its exports and imports', () => {
    const blocks = permissionBlocks(USERS_CONF);
    expect(userPermissions(auth, 'monitor')).toEqual(allowLists(blocks.MONITOR!));
    expect(userPermissions(auth, 'public')).toEqual(allowLists(blocks.PUBLIC!));
    expect(userPermissions(auth, 'aggregator')).toEqual(allowLists(blocks.AGGREGATOR!));
    expect(allowLists(blocks.MONITOR!).pub).toEqual([...INGEST_SUBJECTS]);
    expect(jwtWiring(auth)).toEqual(accountWiring(USERS_CONF));
    // nats-server found every account JWT valid (an invalid import is only a warning in its log).
    expect(server.log()).not.toMatch(/validation issues/i);
  });

  it('enforces the permissions: monitors publish tasks but not stats, the public only asks', async () => {
    const aggregator = await tcp('aggregator');
    const monitor = await browser('monitor');
    const viewer = await browser('public');
    try {
      const monitorErrors = errorsOf(monitor);
      const viewerErrors = errorsOf(viewer);
      const stats = viewer.subscribe(SUBJECTS.stats, { max: 1 });
      await viewer.flush();
      monitor.publish(SUBJECTS.stats, '{"forged":true}');
      viewer.publish(SUBJECTS.task, '{"forged":true}');
      monitor.publish(SUBJECTS.task, '{"from":"monitor"}');
      await Promise.all([monitor.flush(), viewer.flush()]);
      aggregator.publish(SUBJECTS.stats, '{"from":"aggregator"}');
      await aggregator.flush();
      for await (const m of stats) expect(m.string()).toBe('{"from":"aggregator"}');
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(monitorErrors.join('\n')).toMatch(/Permissions Violation for Publish to "truebit.v1.stats"/);
      expect(monitorErrors.join('\n')).not.toMatch(/truebit.v1.task/);
      expect(viewerErrors.join('\n')).toMatch(/Permissions Violation for Publish to "truebit.v1.task"/);
    } finally {
      await Promise.allSettled([aggregator.close(), monitor.close(), viewer.close()]);
    }
  });

  it('has a system account that answers $SYS requests of its user only', async () => {
    const sys = await tcp('sys');
    const aggregator = await tcp('aggregator');
    try {
      const ping = await sys.request('$SYS.REQ.SERVER.PING', '', { timeout: 5000 });
      expect(ping.json<{ server: { name: string } }>().server.name).toBe('truwatch-prod-jwt-test');
      await expect(aggregator.request('$SYS.REQ.SERVER.PING', '', { timeout: 1000 })).rejects.toThrow();
    } finally {
      await Promise.allSettled([sys.close(), aggregator.close()]);
    }
  });

  it('enforces the account limits: connections, subscriptions, payload, JetStream', async () => {
    const monitors = await Promise.all(Array.from({ length: MONITOR_CONNECTIONS }, () => browser('monitor')));
    try {
      await expect(browser('monitor')).rejects.toThrow(/maximum account (active )?connections exceeded/i);
    } finally {
      await Promise.allSettled(monitors.map((nc) => nc.close()));
    }

    // 10 subscriptions per public connection; the 11th is refused.
    const viewer = await browser('public');
    const viewerErrors = errorsOf(viewer);
    for (let i = 0; i < 11; i++) viewer.subscribe(SUBJECTS.stats);
    await viewer.flush().catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(viewerErrors.join('\n')).toMatch(/maximum subscriptions exceeded/i);
    await viewer.close().catch(() => undefined);

    // 4 KiB per monitor message: the server tells the client so, and the client refuses a larger one. (The server
    // tells it in an INFO of its own once the account's limits apply, which may come after the connection is up.)
    const monitor = await browser('monitor');
    await poll(
      'the monitor account payload limit',
      async () => monitor.info?.max_payload,
      (max) => max === 4096,
      10_000,
    );
    expect(() => monitor.publish(SUBJECTS.task, 'x'.repeat(5000))).toThrow(/max_payload/);
    await monitor.close();

    const aggregator = await tcp('aggregator');
    try {
      const { limits } = await (await jetstreamManager(aggregator)).getAccountInfo();
      expect(limits).toMatchObject({
        max_memory: 256 * 1024 ** 2,
        max_storage: 8 * 1024 ** 3,
        max_streams: 32,
        max_consumers: 128,
      });
    } finally {
      await aggregator.close();
    }
  });

  it('applies re-signed accounts on a config reload, with the creds already handed out', async () => {
    const own = await startJwtServer(auth, certificate);
    const streams = async () => {
      const nc = await connect({
        servers: own.url,
        authenticator: credsAuthenticator(auth.read('aggregator')),
        inboxPrefix: '_INBOX_aggregator',
        reconnect: false,
      });
      try {
        return (await (await jetstreamManager(nc)).getAccountInfo()).limits.max_streams;
      } finally {
        await nc.close();
      }
    };
    try {
      expect(await streams()).toBe(32);
      const operatorJwt = readFileSync(`${auth.dir}/operator.jwt`, 'utf8');
      // The same keys (reused from keys/), new account JWTs; the operator JWT stays as it was, or 2.9 refuses
      // the reload.
      await generateFederationAuth({
        out: auth.dir,
        limits: { MONITORS: { conn: MONITOR_CONNECTIONS }, AGGREGATOR: { streams: 16 } },
      });
      expect(readFileSync(`${auth.dir}/operator.jwt`, 'utf8')).toBe(operatorJwt);
      await reload(own, 1);
      expect(await streams()).toBe(16);
      const monitor = await browser('monitor', own);
      await monitor.close();
    } finally {
      await own.close();
      await generateFederationAuth({ out: auth.dir, limits: { MONITORS: { conn: MONITOR_CONNECTIONS } } });
    }
  });

  it('refuses every JWT of a revoked user after a reload, closes its connections, and admits its new creds', async () => {
    const own = await generateAuth();
    const server = await startJwtServer(own, certificate);
    const aggregator = (creds: Uint8Array) =>
      connect({ servers: server.url, authenticator: credsAuthenticator(creds), reconnect: false });
    try {
      const old = own.read('aggregator');
      const held = await aggregator(old);
      await generateFederationAuth({ out: own.dir, revoke: ['aggregator'] });
      const fresh = own.read('aggregator');
      expect(new TextDecoder().decode(fresh)).not.toBe(new TextDecoder().decode(old));
      expect(JSON.parse(readFileSync(`${own.dir}/revocations.json`, 'utf8'))).toHaveProperty([
        'AGGREGATOR',
        userKey(old),
      ]);
      await reload(server, 1);
      await poll('the connection with the revoked creds closed', async () => held.isClosed(), Boolean);
      await expect(aggregator(old)).rejects.toThrow(/Authorization/i);
      await (await aggregator(fresh)).close();
      // Other users are not touched; running the command again keeps the revocation.
      await (await wssCreds(wssUrl(server), certificate.pem, own.read('monitor'))).close();
      const again = await generateFederationAuth({ out: own.dir });
      expect(decode<Account>(again.accounts.AGGREGATOR.jwt).nats.revocations).toHaveProperty([userKey(old)]);
      await reload(server, 2);
      await expect(aggregator(old)).rejects.toThrow(/Authorization/i);
      await (await aggregator(own.read('aggregator'))).close();
      await expect(generateFederationAuth({ out: own.dir, revoke: ['nobody' as UserName] })).rejects.toThrow(
        /--revoke nobody: no such user/,
      );
    } finally {
      await server.close();
      own.remove();
    }
  });

  it.each(['monitor', 'public'] as const)(
    'keeps every stream, the consumer and every bucket intact when %s (over WSS) names JetStream as the reply',
    async (attacker) => {
      // A server of its own: the injection needs a JetStream store no other test has written to.
      const own = await startJwtServer(auth, certificate);
      try {
        await checkReplyInjection(
          {
            config: testConfig(own, { natsCreds: auth.creds.aggregator, natsPassword: '' }),
            monitor: () => browser('monitor', own),
            viewer: () => browser('public', own),
          },
          attacker,
        );
      } finally {
        await own.close();
      }
    },
    120_000,
  );
});
