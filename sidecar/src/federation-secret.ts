// The node's federation secret (DESIGN.md, privacy rule 3): 32 random bytes made once, kept in base64url in one
// file (0600; DATA_DIR/federation-secret or FEDERATION_SECRET_FILE) and handed to the browsers paired with this
// sidecar, which anonymize under it. The sidecar itself never uses it: it does not federate. `since` is the
// file's modification time: the file is only ever written whole (a new secret is renamed over it), so that is
// when the secret in it was made.
import { statSync } from 'node:fs';
import * as v from 'valibot';
import { NodeSecretSchema, type NodeSecret } from '../../protocol/federation-identity.ts';
import { loadOrCreateSecretFile, newSecretValue, writeSecretFile } from './secrets.ts';

export class FederationSecret {
  private constructor(
    readonly path: string,
    private value: NodeSecret,
  ) {}

  /** The secret in the file at `path`, made there first if there is none; a file holding something else throws. */
  static open(path: string): FederationSecret {
    return new FederationSecret(path, read(path, loadOrCreateSecretFile(path).value));
  }

  current(): NodeSecret {
    return this.value;
  }

  /** Makes a new secret and keeps it in place of the old one. */
  reset(): NodeSecret {
    const secret = newSecretValue();
    writeSecretFile(this.path, secret);
    this.value = read(this.path, secret);
    return this.value;
  }
}

function read(path: string, secret: string): NodeSecret {
  const parsed = v.safeParse(NodeSecretSchema, { secret, since: statSync(path).mtime.toISOString() });
  if (!parsed.success)
    throw new Error(
      `${path} does not hold a federation secret (32 bytes in base64url): restore the node's own, or delete the file to make a new one`,
    );
  return parsed.output;
}
