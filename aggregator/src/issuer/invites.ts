// The invite codes of the invites policy, in the data dir's invites.json. The host's command line writes it
// (`npm run issuer -- invite create|revoke|list`); the running issuer reads it again whenever it changed, so a
// revoked code is refused from the next request on.
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import * as v from 'valibot';
import { readJson, writeJson } from './json-file.ts';

const Invite = v.object({
  created: v.string(),
  revoked: v.optional(v.string()),
  /** The host's own words on whom it was given to. */
  note: v.optional(v.string()),
});
const Book = v.record(v.string(), Invite);
export type Invite = v.InferOutput<typeof Invite>;

export type InviteStatus = 'valid' | 'revoked' | 'unknown';

export class InviteBook {
  private invites: Record<string, Invite> = {};
  private version = '';

  constructor(private readonly file: string) {}

  status(code: string): InviteStatus {
    const invite = this.get(code);
    return !invite ? 'unknown' : invite.revoked ? 'revoked' : 'valid';
  }

  /** The invite of `code`: an own entry of the file only (`toString`, `__proto__` are no codes). */
  private get(code: string): Invite | undefined {
    const invites = this.read();
    return Object.hasOwn(invites, code) ? invites[code] : undefined;
  }

  list(): [string, Invite][] {
    return Object.entries(this.read());
  }

  create(note?: string): string {
    const code = randomBytes(16).toString('base64url');
    const invites = this.read();
    invites[code] = { created: new Date().toISOString(), ...(note ? { note } : {}) };
    writeJson(this.file, invites);
    return code;
  }

  /** False when there is no such code. */
  revoke(code: string): boolean {
    const invites = this.read();
    if (!Object.hasOwn(invites, code)) return false;
    invites[code]!.revoked ??= new Date().toISOString();
    writeJson(this.file, invites);
    return true;
  }

  private read(): Record<string, Invite> {
    let version = 'none';
    try {
      const stat = statSync(this.file);
      version = `${stat.ino}:${stat.mtimeMs}:${stat.size}`;
    } catch {
      // no invites yet
    }
    if (version !== this.version) {
      this.invites = readJson(this.file, Book, {});
      this.version = version;
    }
    return this.invites;
  }
}
