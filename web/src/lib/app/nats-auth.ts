// How a browser user authenticates to the federation's NATS server: the text of a .creds file (decentralized
// auth, nats/prod-jwt: a user JWT and its nkey seed, public by nature like the passwords) when there is one,
// otherwise a user and password.
import { credsAuthenticator, type ConnectionOptions } from '@nats-io/nats-core';

export interface NatsCredentials {
  user: string;
  password: string;
  /** A .creds file's text; wins over user and password when set. */
  creds?: string | undefined;
}

export function natsAuth(
  credentials: NatsCredentials,
): Pick<ConnectionOptions, 'user' | 'pass' | 'authenticator'> {
  // nats.js reads the file's blocks line by line: each ends with a newline, also the last one.
  const creds = credentials.creds?.replace(/\r\n/g, '\n').trim();
  if (creds) return { authenticator: credsAuthenticator(new TextEncoder().encode(`${creds}\n`)) };
  return { user: credentials.user, pass: credentials.password };
}
