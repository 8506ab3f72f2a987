// A test certificate authority and a certificate it signed, made with openssl in a temporary directory, for
// servers under test that speak TLS (nats-server's clients, WebSocket, routes and gateways; the static hosts)
// and the clients that trust the CA.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCertificate {
  dir: string;
  /** The server's certificate (for localhost and 127.0.0.1), signed by the CA. */
  cert: string;
  key: string;
  /** The CA's certificate file (what a server verifying its peers, e.g. a route, trusts). */
  ca: string;
  /** The CA's certificate itself, which a client trusts. */
  pem: string;
}

const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/**
 * A new CA (valid two days) and a certificate it signed for localhost and 127.0.0.1, good for serving and
 * for presenting as a client (nats-server routes and gateways verify each other with it), in a new temp dir.
 * Each call makes a CA of its own: a certificate of one is not trusted by another.
 */
export function makeCertificate(): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'truwatch-certs-'));
  const ca = join(dir, 'ca.pem');
  const caKey = join(dir, 'ca-key.pem');
  const cert = join(dir, 'fullchain.pem');
  const key = join(dir, 'privkey.pem');
  const request = join(dir, 'request.csr');
  const extensions = join(dir, 'extensions.cnf');
  openssl([
    'req',
    '-x509',
    ...ecKey,
    '-days',
    '2',
    '-subj',
    '/CN=truwatch test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-keyout',
    caKey,
    '-out',
    ca,
  ]);
  openssl(['req', '-new', ...ecKey, '-subj', '/CN=localhost', '-keyout', key, '-out', request]);
  writeFileSync(
    extensions,
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=serverAuth,clientAuth',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ].join('\n'),
  );
  openssl([
    'x509',
    '-req',
    '-in',
    request,
    '-CA',
    ca,
    '-CAkey',
    caKey,
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    extensions,
    '-out',
    cert,
  ]);
  return { dir, cert, key, ca, pem: readFileSync(ca, 'utf8') };
}
