// The issuer's keys: one RSA-2048 key per kind of token and per week, made for the current week and the next
// two, kept as 0600 files in one directory. A week's private key is deleted when the week ends (a stolen key
// then forges nothing newer); its public key stays while the aggregator still accepts its tokens, and two days
// more, so that every aggregator sees the key end in the keys file and deletes its spent tokens.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ACCEPTED_AFTER_MS, TOKEN_KINDS, type TokenKind } from '../../../protocol/private-token.ts';
import { tokenKeyId, tokenKeyOf } from '../tokens/token-key.ts';
import { DAY_MS, WEEK_MS, weekName, weekStart } from './weeks.ts';

/** Weeks after the current one whose keys exist and are published. */
export const WEEKS_AHEAD = 2;
export { ACCEPTED_AFTER_MS };
/** How long an ended key stays listed in the keys file (the aggregator refuses its tokens by then). */
export const LISTED_AFTER_END_MS = 2 * DAY_MS;

export interface IssuerKey {
  kind: TokenKind;
  /** Monday 00:00 UTC, in ms. */
  weekStart: number;
  publicKey: KeyObject;
  /** Absent once the week has ended. */
  privateKey?: KeyObject;
  /** The RFC 9578 token-key (SPKI, RSASSA-PSS) and its SHA-256. */
  tokenKey: Buffer;
  tokenKeyId: Buffer;
}

const FILE = /^(presence|task)-(\d{4}-\d\d-\d\d)\.(private|public)\.pem$/;

function writePrivately(file: string, content: string | Buffer): void {
  writeFileSync(`${file}.tmp`, content, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

export class KeyRing {
  private readonly byName = new Map<string, IssuerKey>();
  private rotatedFor = -1;

  constructor(
    private readonly dir: string,
    private readonly log: (line: string) => void = () => {},
  ) {}

  /** Makes the missing keys of the week holding `now` and the next two, and drops what has ended. */
  rotate(now: number): void {
    const current = weekStart(now);
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    this.load();
    for (const key of this.byName.values()) {
      if (key.weekStart < current && key.privateKey) {
        rmSync(this.file(key.kind, key.weekStart, 'private'), { force: true });
        delete key.privateKey;
        this.log(`issuer: deleted the ${key.kind} private key of the week of ${weekName(key.weekStart)}`);
      }
      if (key.weekStart + WEEK_MS + ACCEPTED_AFTER_MS + LISTED_AFTER_END_MS <= now) {
        rmSync(this.file(key.kind, key.weekStart, 'public'), { force: true });
        this.byName.delete(this.name(key.kind, key.weekStart));
      }
    }
    for (let week = 0; week <= WEEKS_AHEAD; week++)
      for (const kind of TOKEN_KINDS) {
        const start = current + week * WEEK_MS;
        if (!this.byName.has(this.name(kind, start))) this.create(kind, start);
      }
    this.rotatedFor = current;
  }

  /** Every key still accepted or to come, oldest first. */
  keys(now: number): IssuerKey[] {
    if (weekStart(now) !== this.rotatedFor) this.rotate(now);
    return [...this.byName.values()].sort(
      (a, b) => a.weekStart - b.weekStart || a.kind.localeCompare(b.kind),
    );
  }

  /** The keys clients fetch tokens under: this week's and the next two. */
  published(now: number): IssuerKey[] {
    const current = weekStart(now);
    return this.keys(now).filter((key) => key.weekStart >= current);
  }

  /** This week's key whose token_key_id ends in `truncatedId`: the only keys the issuer signs under. */
  signing(truncatedId: number, now: number): IssuerKey | undefined {
    const current = weekStart(now);
    return this.keys(now).find(
      (key) => key.weekStart === current && key.privateKey && key.tokenKeyId.at(-1) === truncatedId,
    );
  }

  private name(kind: TokenKind, start: number): string {
    return `${kind}-${weekName(start)}`;
  }

  private file(kind: TokenKind, start: number, part: 'private' | 'public'): string {
    return join(this.dir, `${this.name(kind, start)}.${part}.pem`);
  }

  private load(): void {
    this.byName.clear();
    let names = readdirSync(this.dir);
    // A private key without its public file (a stop between the two writes): write the public one.
    for (const name of names) {
      const match = FILE.exec(name);
      const publicName = name.replace('.private.pem', '.public.pem');
      if (match?.[3] !== 'private' || names.includes(publicName)) continue;
      const publicKey = createPublicKey(readFileSync(join(this.dir, name)));
      writePrivately(join(this.dir, publicName), publicKey.export({ type: 'spki', format: 'pem' }));
    }
    names = readdirSync(this.dir);
    for (const name of names) {
      const match = FILE.exec(name);
      if (!match || match[3] !== 'public') continue;
      const kind = match[1] as TokenKind;
      const start = Date.parse(`${match[2]}T00:00:00Z`);
      const publicKey = createPublicKey(readFileSync(join(this.dir, name)));
      const privateName = `${this.name(kind, start)}.private.pem`;
      const privateKey = names.includes(privateName)
        ? createPrivateKey(readFileSync(join(this.dir, privateName)))
        : undefined;
      this.add(kind, start, publicKey, privateKey);
    }
  }

  private add(kind: TokenKind, start: number, publicKey: KeyObject, privateKey?: KeyObject): IssuerKey {
    const tokenKey = tokenKeyOf(publicKey);
    const key: IssuerKey = {
      kind,
      weekStart: start,
      publicKey,
      ...(privateKey ? { privateKey } : {}),
      tokenKey,
      tokenKeyId: tokenKeyId(tokenKey),
    };
    this.byName.set(this.name(kind, start), key);
    return key;
  }

  /**
   * A new key pair, made again until its truncated key id (the last byte, all a token request names) differs
   * from every other key's: the issuer then always knows which key a request is for.
   */
  private create(kind: TokenKind, start: number): void {
    const taken = new Set([...this.byName.values()].map((key) => key.tokenKeyId.at(-1)));
    for (;;) {
      const { publicKey, privateKey } = generateKeyPairSync('rsa', {
        modulusLength: 2048,
        publicExponent: 65537,
      });
      if (taken.has(tokenKeyId(tokenKeyOf(publicKey)).at(-1))) continue;
      writePrivately(this.file(kind, start, 'private'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
      writePrivately(this.file(kind, start, 'public'), publicKey.export({ type: 'spki', format: 'pem' }));
      this.add(kind, start, publicKey, privateKey);
      this.log(`issuer: made the ${kind} key of the week of ${weekName(start)}`);
      return;
    }
  }
}
