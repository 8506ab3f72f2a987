// A server's view of nats-server's route and gateway ports (the mutual TLS of nats/cluster and
// nats/supercluster): a peer opens TLS at once, presenting its certificate, and is sent the port's INFO only
// if the server's verification accepted that certificate.
import { readFileSync } from 'node:fs';
import { connect } from 'node:tls';
import type { TestCertificate } from './test-certificate.ts';

export interface PortInfo {
  server_name?: string;
  cluster?: string;
  gateway?: string;
  tls_required?: boolean;
}

/**
 * Opens a TLS session on a route or gateway port with `certificate`, trusting `ca`: the INFO the port sends
 * once the session is accepted, or the error the session ends with.
 */
export async function peerSession(port: number, certificate: TestCertificate, ca: string): Promise<PortInfo> {
  const socket = connect({
    host: '127.0.0.1',
    port,
    servername: 'localhost',
    cert: readFileSync(certificate.cert),
    key: readFileSync(certificate.key),
    ca,
  });
  try {
    return await new Promise<PortInfo>((resolve, reject) => {
      let text = '';
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        const end = text.indexOf('\r\n');
        if (end < 0) return;
        const line = text.slice(0, end);
        if (line.startsWith('INFO ')) resolve(JSON.parse(line.slice(5)) as PortInfo);
        else reject(new Error(`not an INFO: ${line}`));
      });
      socket.once('error', reject);
      socket.once('close', () => reject(new Error('closed before an INFO')));
    });
  } finally {
    socket.destroy();
  }
}
