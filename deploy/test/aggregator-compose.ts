// deploy/docker-compose.aggregator.yml: the aggregator alone, pointed at a NATS server the operator already runs
// (here Debian's nats-server on the host). With TLS on the client port and the CA in the mounted files
// directory it counts what a monitor publishes; against a server without JetStream its log says, in one line,
// which block the server's config lacks, and the restart policy tries again.
import { chmodSync, chownSync, copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { expect, it } from 'vitest';
import { SUBJECTS } from '../../protocol/subjects.ts';
import { freePort } from '../../test/support/free-port.ts';
import { generateAuth, startJwtServer } from '../../test/support/nats-jwt.ts';
import { DEV_USERS, NATS_CONF, startNatsServer } from '../../test/support/nats-server.ts';
import { makeCertificate } from '../../test/support/test-certificate.ts';
import { expectCounted, tasks } from './aggregator-image.ts';
import { composeProject } from './compose.ts';
import { STEP_TIMEOUT_MS, type DeployContext } from './context.ts';
import { healthy, waitFor, waitHttpOk } from './images.ts';

const FILES = ['deploy/docker-compose.aggregator.yml', 'deploy/ci/aggregator-alone.ci.yml'];
const NO_JETSTREAM_LINE = /^.*aggregator: NATS at \S+ has no JetStream .*`jetstream \{\}` block.*$/gm;

export function aggregatorComposeTests(context: DeployContext): void {
  it(
    'runs the aggregator alone against an existing nats-server (TLS, NATS_CA from the mounted directory)',
    async () => {
      const certificate = makeCertificate();
      // The container's user (node) reads the CA through the read-only mount.
      chmodSync(certificate.dir, 0o755);
      chmodSync(certificate.ca, 0o644);
      // The development config (JetStream, the aggregator user) with TLS on the client port.
      const conf = join(certificate.dir, 'nats-tls.conf');
      writeFileSync(
        conf,
        `include "${relative(dirname(conf), NATS_CONF)}"\n` +
          `tls { cert_file: "${certificate.cert}", key_file: "${certificate.key}" }\n`,
      );
      const server = await startNatsServer({ config: conf });
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const project = await composeProject('truwatchaggregator', FILES, {
        NATS_URL: `tls://localhost:${new URL(server.url).port}`,
        NATS_PASSWORD: DEV_USERS.aggregator.pass,
        NATS_FILES_DIR: certificate.dir,
        NATS_CA: '/nats-files/ca.pem',
        CI_AGGREGATOR_PORT: String(port),
      });
      try {
        expect(Object.keys(project.config.services)).toEqual(['aggregator']);
        expect(project.config.services.aggregator!.restart).toBe('unless-stopped');
        const started = Date.now();
        await project.run(['up', '-d', '--build']);
        await waitHttpOk(`${url}/healthz`);
        context.figures.aggregatorComposeUpMs = Date.now() - started;
        context.checkFirewall();
        await healthy(context.engine, 'truwatchaggregator_aggregator_1');

        const monitor = await connect({
          servers: server.url,
          tls: { ca: certificate.pem },
          ...DEV_USERS.monitor,
        });
        for (const message of tasks(20)) monitor.publish(SUBJECTS.task, message);
        await monitor.flush();
        await monitor.close();
        await expectCounted(url, 20);
      } finally {
        await project.down();
        await server.close();
        rmSync(certificate.dir, { recursive: true, force: true });
      }
      context.checkFirewall();
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'connects with a .creds file from the mounted directory (NATS_CREDS, nats/prod-jwt)',
    async () => {
      const certificate = makeCertificate();
      const auth = await generateAuth();
      const server = await startJwtServer(auth, certificate);
      // The operator's directory: the aggregator's .creds, 0600 and owned by the container's user (uid 1000).
      const files = mkdtempSync(join(tmpdir(), 'truwatch-nats-files-'));
      chmodSync(files, 0o755);
      copyFileSync(auth.creds.aggregator, join(files, 'aggregator.creds'));
      chownSync(join(files, 'aggregator.creds'), 1000, 1000);
      const port = await freePort();
      const project = await composeProject('truwatchaggregatorcreds', FILES, {
        NATS_URL: server.url,
        NATS_CREDS: '/nats-files/aggregator.creds',
        NATS_FILES_DIR: files,
        CI_AGGREGATOR_PORT: String(port),
      });
      try {
        await project.run(['up', '-d', '--build']);
        // /healthz answers ok only once connected, with its streams and buckets made in the JWT account.
        await waitHttpOk(`http://127.0.0.1:${port}/healthz`);
        context.checkFirewall();
      } finally {
        await project.down();
        await server.close();
        auth.remove();
        rmSync(files, { recursive: true, force: true });
        rmSync(certificate.dir, { recursive: true, force: true });
      }
      context.checkFirewall();
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'says in its log which block a server without JetStream lacks, and restarts to try again',
    async () => {
      const certificate = makeCertificate();
      chmodSync(certificate.dir, 0o755);
      // The TrueBit Node Monitor's own nats.conf: users, no JetStream.
      const conf = join(certificate.dir, 'seed-nats.conf');
      writeFileSync(
        conf,
        'port: $NATS_PORT\nhttp_port: $NATS_HTTP_PORT\n' +
          `authorization { users = [ { user: aggregator, password: "${DEV_USERS.aggregator.pass}" } ] }\n`,
      );
      const server = await startNatsServer({ config: conf });
      const project = await composeProject('truwatchaggregatornojs', FILES, {
        NATS_URL: server.url,
        NATS_PASSWORD: DEV_USERS.aggregator.pass,
        NATS_FILES_DIR: certificate.dir,
        CI_AGGREGATOR_PORT: String(await freePort()),
      });
      try {
        await project.run(['up', '-d', '--build']);
        context.checkFirewall();
        // Two starts, each ending with the one line: the restart policy retried.
        const logs = await waitFor('the jetstream {} line twice', async () => {
          const out = await project.run(['logs', '--no-color', 'aggregator']);
          return (out.match(NO_JETSTREAM_LINE) ?? []).length >= 2 ? out : undefined;
        });
        expect(logs).not.toMatch(/\n\S*\s*\|?\s+at /); // no stack trace
      } finally {
        await project.down();
        await server.close();
        rmSync(certificate.dir, { recursive: true, force: true });
      }
      context.checkFirewall();
    },
    STEP_TIMEOUT_MS,
  );
}
