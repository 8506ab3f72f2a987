// The development server (nats/nats.conf) and its documented users (nats/users.conf): the monitor and public
// passwords are public by nature; the aggregator's is for this machine only. For `npm run federation:dev` and
// the tests' nats-server.
export const NATS_CONF = new URL('./nats.conf', import.meta.url).pathname;
/** The development passwords of nats/users.conf (public by nature for monitor and public). */
export const DEV_USERS = {
  monitor: { user: 'monitor', pass: 'monitor' },
  public: { user: 'public', pass: 'public' },
  aggregator: { user: 'aggregator', pass: 'aggregator-dev' },
} as const;
