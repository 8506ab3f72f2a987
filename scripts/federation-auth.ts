// npm run federation:auth -- --out <dir> [--aggregator-seed <file>] [--revoke <user>]: decentralized auth (JWT) for the production
// federation server, made with @nats-io/jwt and @nats-io/nkeys only. Writes an operator, a system account (SYS),
// the three accounts of nats/users.conf (AGGREGATOR with JetStream, MONITORS, PUBLIC) with the same exports,
// imports and user permissions, the users' .creds, and auth.conf for nats-server's memory resolver
// (nats/prod-jwt/nats.conf includes it). Keys found in <dir>/keys are reused, so running it again re-signs the
// same identities (new limits, new expiry); delete a key file to rotate that key, or --revoke a user to rotate
// its key and refuse every JWT of the old one (revocations.json keeps the list). No key is printed.
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  decode,
  encodeAccount,
  encodeActivation,
  encodeOperator,
  encodeUser,
  fmtCreds,
  type ConnectionType,
  type Export,
  type Import,
  type Operator,
  type OperatorLimits,
  type RevocationList,
} from '@nats-io/jwt';
import { createAccount, createOperator, createUser, fromSeed, type KeyPair } from '@nats-io/nkeys';

export type AccountName = 'SYS' | 'AGGREGATOR' | 'MONITORS' | 'PUBLIC';
export type UserName = 'sys' | 'aggregator' | 'monitor' | 'public';
const ACCOUNTS: AccountName[] = ['SYS', 'AGGREGATOR', 'MONITORS', 'PUBLIC'];

const STATS = 'truebit.v1.stats';
const FEED = 'truebit.v1.feed';
const TASK = 'truebit.v1.task';
const HEARTBEAT = 'truebit.v1.heartbeat';
const ACTIVITY = 'truebit.v1.activity';
const directGet = (subject: string) => `$JS.API.DIRECT.GET.TRUEBIT_LATEST.${subject}`;

/** No limit, in a JWT. */
const NONE = -1;
const MiB = 1024 ** 2;

/**
 * Each account's limits. Payload and subscriptions are per connection, connections per account (per server).
 * MONITORS: one connection per open browser tab; a task or heartbeat is at most 1 KiB (MAX_INGEST_BYTES).
 * PUBLIC: publishes only empty latest-snapshot requests. AGGREGATOR: a few instances, KV watches; JetStream
 * as nats/prod/users.conf. SYS: operators' tools. No account has leaf nodes or bearer tokens.
 */
export const DEFAULT_LIMITS: Record<AccountName, OperatorLimits> = {
  SYS: { conn: 16, subs: 1000, payload: 65536, data: NONE, leaf: 0 },
  AGGREGATOR: {
    conn: 64,
    subs: 1000,
    payload: 65536,
    data: NONE,
    leaf: 0,
    mem_storage: 256 * MiB,
    disk_storage: 8 * 1024 * MiB,
    streams: 32,
    consumer: 128,
  },
  MONITORS: { conn: 20000, subs: 10, payload: 4096, data: NONE, leaf: 0 },
  PUBLIC: { conn: 20000, subs: 10, payload: 1024, data: NONE, leaf: 0 },
};
/** What every account has unless DEFAULT_LIMITS says otherwise (a missing limit would read as 0). */
const BASE_LIMITS: OperatorLimits = {
  imports: NONE,
  exports: NONE,
  wildcards: true,
  disallow_bearer: true,
  mem_storage: 0,
  disk_storage: 0,
  streams: 0,
  consumer: 0,
};

interface UserSpec {
  account: AccountName;
  pub: string[];
  sub: string[];
  connectionTypes?: ConnectionType[];
}
/** The users and permissions of nats/users.conf (nats/prod-jwt/prod-jwt.test.ts compares them), and sys. */
export const USERS: Record<UserName, UserSpec> = {
  aggregator: {
    account: 'AGGREGATOR',
    pub: [STATS, FEED, '$JS.API.>', '$KV.>', '$JS.ACK.>', '$JS.FC.>'],
    sub: ['_INBOX_aggregator.>', '$KV.>'],
    connectionTypes: ['STANDARD'],
  },
  monitor: {
    account: 'MONITORS',
    pub: [TASK, HEARTBEAT, ACTIVITY],
    sub: [STATS, FEED],
    connectionTypes: ['WEBSOCKET'],
  },
  public: {
    account: 'PUBLIC',
    pub: ['truebit.v1.latest.stats', 'truebit.v1.latest.feed'],
    sub: [STATS, FEED, '_INBOX_public.>'],
    connectionTypes: ['WEBSOCKET'],
  },
  // The system account's user, for operators' tools ($SYS requests); no permissions beyond the account.
  sys: { account: 'SYS', pub: [], sub: [], connectionTypes: ['STANDARD'] },
};

/** An export and who may import it (a token-required export: each importer gets an activation token). */
interface Shared {
  from: AccountName;
  type: 'stream' | 'service';
  subject: string;
  to: AccountName[];
  /** The importer's local name for a service. */
  as?: string;
}
/** The exports and imports of nats/users.conf. */
export const SHARED: Shared[] = [
  { from: 'AGGREGATOR', type: 'stream', subject: STATS, to: ['MONITORS', 'PUBLIC'] },
  { from: 'AGGREGATOR', type: 'stream', subject: FEED, to: ['MONITORS', 'PUBLIC'] },
  {
    from: 'AGGREGATOR',
    type: 'service',
    subject: directGet(STATS),
    to: ['PUBLIC'],
    as: 'truebit.v1.latest.stats',
  },
  {
    from: 'AGGREGATOR',
    type: 'service',
    subject: directGet(FEED),
    to: ['PUBLIC'],
    as: 'truebit.v1.latest.feed',
  },
  { from: 'MONITORS', type: 'stream', subject: TASK, to: ['AGGREGATOR'] },
  { from: 'MONITORS', type: 'stream', subject: HEARTBEAT, to: ['AGGREGATOR'] },
  { from: 'MONITORS', type: 'stream', subject: ACTIVITY, to: ['AGGREGATOR'] },
];

export interface AuthOptions {
  out: string;
  /** A file with the aggregator user's seed (SU…), kept elsewhere; otherwise keys/aggregator.nk. */
  aggregatorSeed?: string;
  /** Limits per account over DEFAULT_LIMITS. */
  limits?: Partial<Record<AccountName, OperatorLimits>>;
  /** Seconds every account and user JWT stays valid; none by default (rotate by re-signing and reload). */
  expiresIn?: number;
  /** Users whose key is replaced now, every JWT of the old key refused (a revocation in their account). */
  revoke?: UserName[];
}

export interface AuthLayout {
  operatorJwt: string;
  authConf: string;
  accounts: Record<AccountName, { publicKey: string; jwt: string }>;
  creds: Record<UserName, string>;
}

function writeSecret(path: string, text: string | Uint8Array): void {
  writeFileSync(path, text, { mode: 0o600 });
  chmodSync(path, 0o600); // an existing file keeps its mode otherwise
}

/** The key in keys/<name>.nk, or a new one written there. */
function key(dir: string, name: string, create: () => KeyPair): KeyPair {
  const file = join(dir, `${name}.nk`);
  if (existsSync(file)) return fromSeed(new TextEncoder().encode(readFileSync(file, 'utf8').trim()));
  const made = create();
  writeSecret(file, `${new TextDecoder().decode(made.getSeed())}\n`);
  return made;
}

export async function generateFederationAuth(options: AuthOptions): Promise<AuthLayout> {
  const out = resolve(options.out);
  const keysDir = join(out, 'keys');
  for (const dir of [out, keysDir, join(out, 'accounts'), join(out, 'creds')])
    mkdirSync(dir, { recursive: true });
  chmodSync(keysDir, 0o700);
  chmodSync(join(out, 'creds'), 0o700);
  const dates = options.expiresIn ? { exp: Math.floor(Date.now() / 1000) + options.expiresIn } : {};

  const operator = key(keysDir, 'operator', createOperator);
  const accountKeys = Object.fromEntries(ACCOUNTS.map((a) => [a, key(keysDir, a, createAccount)])) as Record<
    AccountName,
    KeyPair
  >;
  const pk = (a: AccountName) => accountKeys[a].getPublicKey();

  const revocations = revokeUsers(out, keysDir, options);

  const operatorJwt = await operatorClaim(out, operator, pk('SYS'));
  const accounts = {} as AuthLayout['accounts'];
  for (const name of ACCOUNTS) {
    const exports: Export[] = SHARED.filter((s) => s.from === name).map((s) => ({
      name: s.subject,
      subject: s.subject,
      type: s.type,
      token_req: true,
    }));
    const imports: Import[] = [];
    for (const s of SHARED.filter((s) => s.to.includes(name))) {
      const token = await encodeActivation(
        s.subject,
        pk(name),
        accountKeys[s.from],
        s.type,
        { subject: s.subject },
        dates,
      );
      imports.push({
        name: s.subject,
        subject: s.subject,
        account: pk(s.from),
        type: s.type,
        token,
        ...(s.as ? { local_subject: s.as } : {}),
      });
    }
    const limits = { ...BASE_LIMITS, ...DEFAULT_LIMITS[name], ...options.limits?.[name] };
    const jwt = await encodeAccount(
      name,
      accountKeys[name],
      { exports, imports, limits, ...(revocations[name] ? { revocations: revocations[name] } : {}) },
      { signer: operator, ...dates },
    );
    writeFileSync(join(out, 'accounts', `${name}.jwt`), `${jwt}\n`);
    accounts[name] = { publicKey: pk(name), jwt };
  }

  const creds = {} as Record<UserName, string>;
  for (const [name, spec] of Object.entries(USERS) as [UserName, UserSpec][]) {
    const user =
      name === 'aggregator' && options.aggregatorSeed
        ? fromSeed(new TextEncoder().encode(readFileSync(options.aggregatorSeed, 'utf8').trim()))
        : key(keysDir, name, createUser);
    const jwt = await encodeUser(
      name,
      user,
      accountKeys[spec.account],
      {
        ...(spec.pub.length ? { pub: { allow: spec.pub } } : {}),
        ...(spec.sub.length ? { sub: { allow: spec.sub } } : {}),
        ...(spec.connectionTypes ? { allowed_connection_types: spec.connectionTypes } : {}),
      },
      dates,
    );
    creds[name] = join(out, 'creds', `${name}.creds`);
    writeSecret(creds[name], fmtCreds(jwt, user));
  }

  writeFileSync(join(out, 'operator.jwt'), `${operatorJwt}\n`);
  const authConf = join(out, 'auth.conf');
  writeFileSync(authConf, authConfText(operatorJwt, accounts));
  return { operatorJwt, authConf, accounts, creds };
}

/**
 * Replaces the keys of `options.revoke`'s users (the old one is kept as keys/<user>.revoked-<time>.nk) and adds
 * the old public keys to <out>/revocations.json, which lists every key revoked so far, by account: each account
 * JWT carries its list, and nats-server refuses a user JWT of a listed key issued before the time given.
 */
function revokeUsers(
  out: string,
  keysDir: string,
  options: AuthOptions,
): Partial<Record<AccountName, RevocationList>> {
  const file = join(out, 'revocations.json');
  const revocations = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<Record<AccountName, RevocationList>>)
    : {};
  const now = Math.floor(Date.now() / 1000);
  for (const name of options.revoke ?? []) {
    const spec = USERS[name];
    if (!spec) throw new Error(`--revoke ${name}: no such user (${Object.keys(USERS).join(', ')})`);
    if (name === 'aggregator' && options.aggregatorSeed)
      throw new Error('--revoke aggregator: its key is the --aggregator-seed file; make a new one instead');
    const keyFile = join(keysDir, `${name}.nk`);
    if (!existsSync(keyFile)) throw new Error(`--revoke ${name}: no key in ${keyFile} to revoke`);
    const old = fromSeed(new TextEncoder().encode(readFileSync(keyFile, 'utf8').trim()));
    renameSync(keyFile, join(keysDir, `${name}.revoked-${now}.nk`));
    revocations[spec.account] = { ...revocations[spec.account], [old.getPublicKey()]: now };
  }
  if (options.revoke?.length) writeFileSync(file, `${JSON.stringify(revocations, null, 2)}\n`);
  return revocations;
}

/**
 * The operator JWT: the one already in <out> while the operator and system account are the same (nats-server
 * 2.9 refuses a config reload whose operator JWT changed, and it only changes with them), else a new one.
 */
async function operatorClaim(out: string, operator: KeyPair, systemAccount: string): Promise<string> {
  const file = join(out, 'operator.jwt');
  if (existsSync(file)) {
    const jwt = readFileSync(file, 'utf8').trim();
    const claims = decode<Operator>(jwt);
    if (claims.sub === operator.getPublicKey() && claims.nats.system_account === systemAccount) return jwt;
  }
  return encodeOperator('truwatch', operator, { system_account: systemAccount });
}

/** The nats-server fragment: trusted operator, system account, memory resolver preloaded with every account. */
function authConfText(operatorJwt: string, accounts: AuthLayout['accounts']): string {
  return [
    '# Generated by `npm run federation:auth` (scripts/federation-auth.ts): only public JWTs and keys, no seed.',
    '# Include it from the server config; apply a new one with `nats-server --signal reload`.',
    `operator: ${operatorJwt}`,
    `system_account: ${accounts.SYS.publicKey}`,
    'resolver: MEMORY',
    'resolver_preload: {',
    ...ACCOUNTS.map((name) => `  # ${name}\n  ${accounts[name].publicKey}: ${accounts[name].jwt}`),
    '}',
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      'aggregator-seed': { type: 'string' },
      'expires-days': { type: 'string' },
      revoke: { type: 'string', multiple: true },
    },
  });
  if (!values.out)
    throw new Error(
      'usage: npm run federation:auth -- --out <dir> [--aggregator-seed <file>] [--expires-days N] [--revoke <user>]…',
    );
  const days = values['expires-days'] === undefined ? undefined : Number(values['expires-days']);
  if (days !== undefined && !(Number.isInteger(days) && days > 0))
    throw new Error(`--expires-days must be a whole number > 0, not ${values['expires-days']}`);
  const layout = await generateFederationAuth({
    out: values.out,
    aggregatorSeed: values['aggregator-seed'],
    expiresIn: days && days * 86400,
    revoke: values.revoke as UserName[] | undefined,
  });
  const lines = [
    `federation-auth: wrote ${resolve(values.out)}`,
    `  auth.conf          include it from nats/prod-jwt/nats.conf (NATS_AUTH_CONF)`,
    `  operator.jwt, accounts/*.jwt   public`,
    `  creds/aggregator.creds, creds/sys.creds   secret (0600)`,
    `  creds/monitor.creds, creds/public.creds   browser credentials, public by nature`,
    `  keys/*.nk          seeds (0600): keep them offline, they sign the next rotation`,
    ...Object.entries(layout.accounts).map(([name, a]) => `  account ${name.padEnd(10)} ${a.publicKey}`),
    ...(values.revoke ?? []).map(
      (user) =>
        `  revoked ${user}: new key and creds; reload every server, then hand out creds/${user}.creds`,
    ),
  ];
  process.stderr.write(`${lines.join('\n')}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`federation-auth: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
