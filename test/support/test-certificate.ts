// A self-signed test certificate made with openssl in a temporary directory, for servers under test that
// speak TLS (nats-server, the static hosts) and the clients that trust it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCertificate {
  dir: string;
  cert: string;
  key: string;
  /** The certificate itself, which a client trusts as its own CA. */
  pem: string;
}

/** A self-signed certificate for localhost and 127.0.0.1, valid two days, in a new temp dir. */
export function makeCertificate(): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'truwatch-certs-'));
  const cert = join(dir, 'fullchain.pem');
  const key = join(dir, 'privkey.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  return { dir, cert, key, pem: readFileSync(cert, 'utf8') };
}
