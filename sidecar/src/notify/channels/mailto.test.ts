import { createServer as createTcpServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { deliveryError } from '../../../../test/support/channel-failures.ts';
import { freePort } from '../../../../test/support/free-port.ts';
import { poll } from '../../../../test/support/poll.ts';
import { downAlert, HOSTILE_REASON } from '../../../../test/support/sample-alert.ts';
import { makeCertificate } from '../../../../test/support/test-certificate.ts';
import { fromUrl } from './mailto.ts';

const PASSWORD = 'm4il-s3cr3t';
const mail = (text: string, ca?: string) => fromUrl(new URL(text), ca ? { ca } : {});

interface Received {
  from: string;
  to: string[];
  user: string | undefined;
  secure: boolean;
  message: ParsedMail;
}

/** A real SMTP server (smtp-server) on 127.0.0.1 keeping what it receives. */
async function startSmtp(options: SMTPServerOptions, host = '127.0.0.1') {
  const received: Received[] = [];
  const server = new SMTPServer({
    logger: false,
    disabledCommands: ['STARTTLS'],
    authOptional: true,
    ...options,
    onData(stream, session: SMTPServerSession, callback) {
      simpleParser(stream).then(
        (message) => {
          received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            user: session.user as string | undefined,
            secure: session.secure,
            message,
          });
          callback();
        },
        (error: Error) => callback(error),
      );
    },
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = (server as unknown as { server: Server }).server.address() as AddressInfo;
  servers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port, received };
}

const servers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((close) => close()));
});

describe('mailto URLs', () => {
  it('reads the server, recipients and sender; the label is the server', () => {
    expect(mail('mailto://smtp.example.com?to=ops@example.com&from=node@example.com').label).toBe(
      'mailto smtp.example.com',
    );
    expect(mail(`mailtos://node%40example.com:${PASSWORD}@smtp.example.com:2465?to=a@b.c;d@e.f`).label).toBe(
      'mailto smtp.example.com:2465',
    );
    expect(mail('mailto://smtp.example.com?to=a@b.c&to=d@e.f&from=x@y.z').kind).toBe('mailto');
  });

  it.each([
    ['mailto://smtp.example.com?from=x@y.z', /no recipient/],
    ['mailto://smtp.example.com?to=ops@example.com', /no sender/],
    ['mailto://smtp.example.com?to=not-an-address&from=x@y.z', /is not an e-mail address/],
    ['mailto://smtp.example.com/ops@example.com?from=x@y.z', /the recipients go in \?to=/],
    ['mailto://smtp.example.com?to=a@b.c&from=x@y.z&cc=d@e.f', /unknown option "cc"/],
    [`mailto://user:${PASSWORD}@smtp.example.com?from=x@y.z`, /no recipient/],
  ])('refuses %s, without quoting the password', (text, message) => {
    expect(() => mail(text)).toThrow(message);
    expect(() => mail(text)).not.toThrow(PASSWORD);
  });
});

describe('mailto delivery to a real SMTP server', () => {
  it('without AUTH: From, To, Subject, the reasons in the body, a Message-ID stable for the alert', async () => {
    const smtp = await startSmtp({});
    await mail(
      `mailto://127.0.0.1:${smtp.port}?to=ops@example.com;oncall@example.com&from=node@example.com`,
    ).send(downAlert(), AbortSignal.timeout(10_000));
    expect(smtp.received).toHaveLength(1);
    const [got] = smtp.received;
    expect(got?.from).toBe('node@example.com');
    expect(got?.to).toEqual(['ops@example.com', 'oncall@example.com']);
    expect(got?.user).toBeUndefined();
    expect(got?.message.subject).toBe('runner-node is down');
    expect(got?.message.from?.text).toBe('node@example.com');
    expect(got?.message.messageId).toBe('<a-2026-12-06T12_00_00.000Z-down@truwatch>');
    expect(got?.message.text).toBe(
      `${HOSTILE_REASON}\nno log entry for 12 minutes\n\nrunner-node: healthy → down at 2026-12-06T12:00:00.000Z\n\n` +
        'Reasons:\n' +
        `- ${HOSTILE_REASON} (source, down since 2026-12-06T11:58:00.000Z)\n` +
        '- no log entry for 12 minutes (stale, degraded since 2026-12-06T11:48:00.000Z)\n',
    );
  });

  it('with AUTH: logs in with the URL user and password; the sender defaults to the user', async () => {
    const smtp = await startSmtp({
      allowInsecureAuth: true,
      authOptional: false,
      onAuth(auth, _session, callback) {
        if (auth.username === 'node@example.com' && auth.password === PASSWORD)
          return callback(null, { user: auth.username });
        callback(new Error('Invalid username or password'));
      },
    });
    await mail(`mailto://node%40example.com:${PASSWORD}@127.0.0.1:${smtp.port}?to=ops@example.com`).send(
      downAlert(),
      AbortSignal.timeout(10_000),
    );
    expect(smtp.received[0]?.user).toBe('node@example.com');
    expect(smtp.received[0]?.from).toBe('node@example.com');
  });

  it('a server that refuses the login: no retry, in its words, without the password', async () => {
    const smtp = await startSmtp({
      allowInsecureAuth: true,
      authOptional: false,
      onAuth(_auth, _session, callback) {
        callback(new Error('Invalid username or password'));
      },
    });
    const error = await deliveryError(
      mail(`mailto://node%40example.com:${PASSWORD}@127.0.0.1:${smtp.port}?to=ops@example.com`).send(
        downAlert(),
        AbortSignal.timeout(10_000),
      ),
    );
    expect(error.retry).toBe(false);
    expect(error.message).toMatch(/535.*Invalid username or password/);
    expect(error.message).not.toContain(PASSWORD);
    expect(smtp.received).toHaveLength(0);
  });

  it('a recipient refused for now (451) is retried, for good (550) is not', async () => {
    let code = 451;
    const smtp = await startSmtp({
      onRcptTo(_address, _session, callback) {
        callback(Object.assign(new Error('mailbox unavailable'), { responseCode: code }));
      },
    });
    const send = () =>
      deliveryError(
        mail(`mailto://127.0.0.1:${smtp.port}?to=ops@example.com&from=node@example.com`).send(
          downAlert(),
          AbortSignal.timeout(10_000),
        ),
      );
    expect((await send()).retry).toBe(true);
    code = 550;
    const error = await send();
    expect(error.retry).toBe(false);
    expect(error.message).toMatch(/550 mailbox unavailable/);
  });

  it('upgrades with STARTTLS when the server offers it, verifying its certificate', async () => {
    const cert = makeCertificate();
    const smtp = await startSmtp({
      disabledCommands: [],
      key: readFileSync(cert.key),
      cert: readFileSync(cert.cert),
    });
    const url = `mailto://localhost:${smtp.port}?to=ops@example.com&from=node@example.com`;
    await mail(url, cert.pem).send(downAlert(), AbortSignal.timeout(10_000));
    expect(smtp.received[0]?.secure).toBe(true);
    // A certificate it cannot verify is no delivery (the system's CAs do not know the test CA).
    const error = await deliveryError(mail(url).send(downAlert(), AbortSignal.timeout(10_000)));
    expect(error.message).toMatch(/certificate/);
    expect(smtp.received).toHaveLength(1);
  });

  it('a password is not sent to a server that does not offer STARTTLS (but to this machine)', async () => {
    const smtp = await startSmtp(
      {
        allowInsecureAuth: true,
        authOptional: false,
        onAuth: (auth, _session, callback) => callback(null, { user: auth.username }),
      },
      '127.0.0.2',
    );
    // 127.0.0.2 is this machine too, but not one of the names the channel trusts as such.
    const error = await deliveryError(
      mail(`mailto://node%40example.com:${PASSWORD}@127.0.0.2:${smtp.port}?to=ops@example.com`).send(
        downAlert(),
        AbortSignal.timeout(10_000),
      ),
    );
    expect(error.message).toMatch(/STARTTLS/);
    expect(smtp.received).toHaveLength(0);
  });

  it('mailtos:// speaks TLS from the start', async () => {
    const cert = makeCertificate();
    const smtp = await startSmtp({
      secure: true,
      key: readFileSync(cert.key),
      cert: readFileSync(cert.cert),
    });
    await mail(`mailtos://localhost:${smtp.port}?to=ops@example.com&from=node@example.com`, cert.pem).send(
      downAlert(),
      AbortSignal.timeout(10_000),
    );
    expect(smtp.received[0]?.secure).toBe(true);
    expect(smtp.received[0]?.message.subject).toBe('runner-node is down');
  });

  it('a server that is down: retry', async () => {
    const port = await freePort();
    const error = await deliveryError(
      mail(`mailto://127.0.0.1:${port}?to=ops@example.com&from=node@example.com`).send(
        downAlert(),
        AbortSignal.timeout(10_000),
      ),
    );
    expect(error.retry).toBe(true);
    expect(error.message).toMatch(/ECONNREFUSED/);
  });

  it('a server that never greets: the signal ends the wait, retry', async () => {
    const silent = createTcpServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    servers.push(
      () =>
        new Promise<void>((resolve) => {
          silent.close(() => resolve());
        }),
    );
    const { port } = silent.address() as AddressInfo;
    const error = await deliveryError(
      mail(`mailto://127.0.0.1:${port}?to=ops@example.com&from=node@example.com`).send(
        downAlert(),
        AbortSignal.timeout(300),
      ),
    );
    expect(error.retry).toBe(true);
    expect(error.message).toBe('no answer in the time allowed');
    // The connection was closed at once, not left to nodemailer's own timeouts of half a minute and more.
    await poll(
      'the silent server to lose its client',
      () =>
        new Promise<number>((resolve, reject) =>
          silent.getConnections((e, n) => (e ? reject(e) : resolve(n))),
        ),
      (n) => n === 0,
      10_000,
    );
  });
});
