// The network page's live state: config.json, the connection, the view, and a clock for "updated 5 s ago".
import { loadNetworkConfig } from './config.ts';
import type { ConnectionState } from './connection.ts';
import { emptyView, receive, type NetworkView } from './model.ts';

export class NetworkState {
  view: NetworkView = $state.raw(emptyView());
  connection: ConnectionState = $state.raw({ kind: 'connecting' });
  /** The server the page connects to (shown, so a host can check their config.json). */
  server: string | undefined = $state();
  configProblem: string | undefined = $state();
  now = $state(Date.now());

  /** Starts everything; the returned function stops it (the page's cleanup). */
  start(): () => void {
    let stopped = false;
    let close: (() => Promise<void>) | undefined;
    const clock = setInterval(() => (this.now = Date.now()), 1000);
    // The NATS client loads beside config.json, after the page is drawn.
    void Promise.all([loadNetworkConfig(), import('./connection.ts')]).then(
      ([{ server, problem }, { openNetwork }]) => {
        if (stopped) return;
        this.server = server.natsUrl;
        this.configProblem = problem;
        close = openNetwork(server, {
          state: (state) => (this.connection = state),
          message: (kind, payload) => (this.view = receive(this.view, kind, payload, Date.now())),
        }).close;
      },
    );
    return () => {
      stopped = true;
      clearInterval(clock);
      void close?.();
    };
  }
}
