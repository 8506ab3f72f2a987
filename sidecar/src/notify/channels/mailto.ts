// E-mail through the operator's SMTP server (nodemailer): mailto://[user:pass@]host[:port]?to=a@b[;c@d]&from=x@y
// on port 587 unless given, upgraded with STARTTLS when the server offers it (required when the URL holds a
// password); mailtos://… speaks TLS from the start, on port 465 unless given. The server's certificate is
// verified (a private CA: NODE_EXTRA_CA_CERTS). Recipients are separated by ; (or ,, or given as several to=).
// The subject is the alert's title; the body its reasons, the change, and each reason with since when it holds.
import { DeliveryError, type Alert, type Channel } from '../channel.ts';
import { messageBody, oneLine } from './format.ts';
import { badUrl, options, safeDecode } from './url-parts.ts';

const EXPECTED =
  'mailto://[user:pass@]host[:port]?to=a@b[;c@d]&from=x@y, or mailtos://… for TLS from the start';
const ADDRESS = /^[^\s@<>,;"]{1,64}@[^\s@<>,;"]{1,255}$/;
const MAX_RECIPIENTS = 20;
const LOOPBACK = ['localhost', '127.0.0.1', '::1'];
/** SMTP replies a retry cannot mend are 5xx; a failure that never reached a reply is the network's. */
const PERMANENT_CODES = new Set(['EAUTH', 'EENVELOPE', 'EMESSAGE', 'EREQUIRETLS']);

export interface MailOptions {
  /** Certificates to trust beyond the system's: for tests only. */
  ca?: string;
}

export function fromUrl(url: URL, { ca }: MailOptions = {}): Channel {
  const fail = (problem: string) => badUrl(problem, EXPECTED);
  if (url.protocol !== 'mailto:' && url.protocol !== 'mailtos:') throw fail('not a mailto URL');
  const opts = options(url, ['to', 'from'], fail);
  if (!url.hostname) throw fail('no SMTP server');
  if (url.pathname && url.pathname !== '/') throw fail('the recipients go in ?to=');
  const secure = url.protocol === 'mailtos:';
  const port = url.port ? Number(url.port) : secure ? 465 : 587;
  const user = safeDecode(url.username);
  const pass = safeDecode(url.password);

  const to = (opts.get('to') ?? '')
    .split(/[,;\s]+/)
    .filter(Boolean)
    .map((a) => a.trim());
  if (!to.length) throw fail('no recipient (?to=)');
  if (to.length > MAX_RECIPIENTS) throw fail(`at most ${MAX_RECIPIENTS} recipients`);
  const wrong = to.find((a) => !ADDRESS.test(a));
  if (wrong) throw fail(`"${wrong.slice(0, 80)}" is not an e-mail address`);
  const from = opts.get('from') ?? (ADDRESS.test(user) ? user : '');
  if (!from) throw fail('no sender (?from=, or a user that is an e-mail address)');
  if (!ADDRESS.test(from)) throw fail(`"${from.slice(0, 80)}" is not an e-mail address`);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  // A password crosses the network only encrypted: with one, STARTTLS is required, not only used when offered
  // (an attacker between could strip the offer), unless the server is this machine.
  const requireTLS = !secure && pass !== '' && !LOOPBACK.includes(host);

  return {
    kind: 'mailto',
    label: `mailto ${url.host}`,
    async send(alert: Alert, signal: AbortSignal) {
      // Loaded on the first e-mail: a sidecar without one never holds nodemailer.
      const { createTransport } = await import('nodemailer');
      const transport = createTransport({
        host,
        port,
        secure,
        requireTLS,
        ...(user ? { auth: { user, pass } } : {}),
        ...(ca ? { tls: { ca } } : {}),
        // The signal bounds the whole send; these only stop a connection that would outlive it.
        connectionTimeout: 30_000,
        greetingTimeout: 30_000,
        socketTimeout: 60_000,
      });
      try {
        await transport.sendMail({
          from,
          to,
          subject: alert.title,
          text: mailBody(alert),
          // The same alert keeps its Message-ID across retries, so a mailbox can drop a repeat.
          messageId: `<${alert.id.replace(/[^-.\w]/g, '_')}@truwatch>`,
          signal,
        });
      } catch (err) {
        throw deliveryError(err, signal, pass);
      } finally {
        transport.close();
      }
    },
  };
}

function mailBody(alert: Alert): string {
  const reasons = alert.reasons.map((r) => `- ${r.text} (${r.code}, ${r.verdict} since ${r.since})`);
  return [messageBody(alert), ...(reasons.length ? ['', 'Reasons:', ...reasons] : [])].join('\n') + '\n';
}

function deliveryError(err: unknown, signal: AbortSignal, pass: string): DeliveryError {
  if (signal.aborted) return new DeliveryError('no answer in the time allowed', true);
  const e = err as { code?: string; responseCode?: number; message?: string };
  const message = `SMTP: ${oneLine(e.message ?? String(err))}`;
  const said = (pass ? message.split(pass).join('…') : message).slice(0, 300);
  // A reply decides: 4xx is for now (try again), 5xx for good. Without one, the kind of failure does.
  const retry = e.responseCode ? e.responseCode < 500 : !PERMANENT_CODES.has(e.code ?? '');
  return new DeliveryError(said, retry);
}
