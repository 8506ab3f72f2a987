// Stands in for the ssh2 package in the sidecar's bundle (scripts/bundle.ts). dockerode reaches a remote Docker
// over SSH with ssh2, which sets up a 16 MB WebAssembly memory as soon as it is loaded; the sidecar only speaks to
// a unix socket, so the SSH transport is refused instead.
export class Client {
  constructor() {
    throw new Error('the sidecar reaches Docker through a unix socket, not SSH');
  }
}
