// A real Docker Engine API for tests: podman's Docker-compatible service on a unix socket, with all of
// podman's state in a directory the test owns, and a busybox image made locally (no registry).
// See STACK.md ("A real Docker Engine API for tests: podman") for why every setting below is there.
//
//   const engine = await startEngine();
//   await engine.run('runner-node', 'while true; do echo hi; sleep 1 & wait $!; done');
//   new Docker({ socketPath: engine.socketPath }) ...
//   await engine.stop();
//
// Scripts run under `sh -c` with `trap "exit 0" TERM` in front; write sleeps as `sleep 1 & wait $!` so a
// stop ends them at once.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUSYBOX, checkInstalled, endProcessesUsing, ping, unmountUnder } from './podman-host.ts';
import { stopProcess } from './stop-process.ts';

export { startRecordingProxy, type RecordingProxy } from './recording-proxy.ts';

export const ENGINE_IMAGE = 'localhost/truwatch-busybox:1';
const APPLETS = ['sh', 'sleep', 'echo', 'printf', 'cat', 'seq', 'head', 'tail', 'tr', 'yes', 'date', 'dd'];
const MORE_APPLETS = [
  'true',
  'false',
  'env',
  'ls',
  'wc',
  'kill',
  'test',
  '[',
  'expr',
  'mkdir',
  'rm',
  'touch',
];

export interface RunOptions {
  /** Allocate a TTY (`-t`): the logs are then a raw stream, not multiplexed. */
  tty?: boolean;
  /** More `podman run` arguments, before the image. */
  args?: string[];
}

export interface EngineOptions {
  /** Keep podman's state here (created if needed) and reuse the image cached in it; default: a new temp dir. */
  dir?: string;
}

export interface Engine {
  /** The directory holding podman's configuration, storage and socket. */
  readonly dir: string;
  /** The Docker-compatible API socket. */
  readonly socketPath: string;
  readonly image: string;
  /** The environment every podman command gets (CONTAINERS_CONF, CONTAINERS_STORAGE_CONF). */
  readonly env: NodeJS.ProcessEnv;
  /** Runs `podman <args>` against this engine's state; resolves with its stdout. */
  podman(args: string[]): Promise<string>;
  /** `podman run -d --name <name> … sh -c <script>`; resolves with the container id. */
  run(name: string, script: string, options?: RunOptions): Promise<string>;
  start(name: string): Promise<void>;
  restart(name: string): Promise<void>;
  kill(name: string): Promise<void>;
  rm(name: string): Promise<void>;
  /** What the container wrote, per stream, read by the podman CLI from its log file (not through the API). */
  logs(name: string): Promise<{ stdout: string[]; stderr: string[] }>;
  /** Kills the API service (SIGKILL, as a crash would): the socket stays, connections are refused. */
  killService(): Promise<void>;
  /** Starts the API service again on the same socket and waits until it answers. */
  startService(): Promise<void>;
  /** With a name: `podman stop`. Without: removes every container, stops the service, deletes the temp dir. */
  stop(name?: string): Promise<void>;
  /** The same as `stop()` without a name. */
  close(): Promise<void>;
}

/** Starts podman's API service with private state. Throws, saying what to install, when podman is missing. */
export async function startEngine(options: EngineOptions = {}): Promise<Engine> {
  checkInstalled();
  const owned = options.dir === undefined;
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'truwatch-podman-')));
  const engine = new PodmanEngine(dir, owned);
  try {
    await engine.init();
  } catch (error) {
    await engine.close().catch(() => undefined);
    throw error;
  }
  return engine;
}

class PodmanEngine implements Engine {
  readonly socketPath: string;
  readonly image = ENGINE_IMAGE;
  readonly env: NodeJS.ProcessEnv;
  private service: ChildProcess | undefined;
  private serviceLog = '';

  constructor(
    readonly dir: string,
    private readonly owned: boolean,
  ) {
    this.socketPath = join(dir, 'podman.sock');
    const env = { ...process.env };
    // A remote connection setting would send our commands to another podman.
    delete env.CONTAINER_HOST;
    delete env.CONTAINER_CONNECTION;
    env.CONTAINERS_CONF = join(dir, 'conf', 'containers.conf');
    env.CONTAINERS_STORAGE_CONF = join(dir, 'conf', 'storage.conf');
    this.env = env;
  }

  async init(): Promise<void> {
    await this.writeConfig();
    await this.ensureImage();
    await this.startService();
  }

  podman(args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile('podman', args, { env: this.env, maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
        if (error) reject(new Error(`podman ${args.join(' ')}: ${stderr.trim() || error.message}`));
        else resolve(stdout);
      });
    });
  }

  async run(name: string, script: string, options: RunOptions = {}): Promise<string> {
    const args = ['run', '-d', '--name', name, '--pull=never', '--network', 'none'];
    if (options.tty) args.push('-t');
    args.push(...(options.args ?? []), this.image, 'sh', '-c', `trap "exit 0" TERM; ${script}`);
    return (await this.podman(args)).trim();
  }

  async start(name: string): Promise<void> {
    await this.podman(['start', name]);
  }

  async restart(name: string): Promise<void> {
    await this.podman(['restart', '-t', '2', name]);
  }

  async kill(name: string): Promise<void> {
    await this.podman(['kill', name]);
  }

  async rm(name: string): Promise<void> {
    await this.podman(['rm', '-f', '-t', '0', name]);
  }

  logs(name: string): Promise<{ stdout: string[]; stderr: string[] }> {
    const lines = (text: string) =>
      text
        .split('\n')
        .slice(0, -1)
        .map((l) => l.replace(/\r$/, ''));
    return new Promise((resolve, reject) => {
      execFile('podman', ['logs', name], { env: this.env, maxBuffer: 256 * 1024 * 1024 }, (e, out, err) => {
        if (e) reject(new Error(`podman logs ${name}: ${e.message}`));
        else resolve({ stdout: lines(out), stderr: lines(err) });
      });
    });
  }

  async killService(): Promise<void> {
    const service = this.service;
    this.service = undefined;
    if (service) await stopProcess(service, 'SIGKILL');
  }

  async startService(): Promise<void> {
    if (this.service) return;
    this.serviceLog = '';
    const child = spawn('podman', ['system', 'service', '--time=0', `unix://${this.socketPath}`], {
      env: this.env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr?.on('data', (chunk: Buffer) => (this.serviceLog = (this.serviceLog + chunk).slice(-4000)));
    child.on('error', () => undefined);
    this.service = child;
    const deadline = Date.now() + 20_000;
    while (!(await ping(this.socketPath))) {
      if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
        await this.killService();
        throw new Error(`podman system service did not start: ${this.serviceLog.trim() || 'no output'}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  stop(name?: string): Promise<void> {
    if (name === undefined) return this.close();
    return this.podman(['stop', '-t', '2', name]).then(() => undefined);
  }

  async close(): Promise<void> {
    await this.podman(['rm', '-a', '-f', '-t', '0']).catch(() => undefined);
    const service = this.service;
    this.service = undefined;
    if (service) await stopProcess(service, 'SIGTERM');
    await endProcessesUsing(this.dir);
    await unmountUnder(this.dir);
    if (this.owned) await rm(this.dir, { recursive: true, force: true });
  }

  private async writeConfig(): Promise<void> {
    const d = this.dir;
    for (const sub of ['conf', 'run', 'networks', 'storage']) await mkdir(join(d, sub), { recursive: true });
    const storage = `[storage]\ndriver = "overlay"\ngraphroot = "${d}/storage"\nrunroot = "${d}/run/storage"\n`;
    const containers = `[containers]
# podman's root defaults (1048576) fail here with "setrlimit ...: Operation not permitted"
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
# no bridge network: it would change the host's firewall
netns = "none"

[engine]
# crun 1.8 refuses this machine's hybrid cgroups
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "${d}/run/events.log"
tmp_dir = "${d}/run/libpod"
static_dir = "${d}/storage/libpod"
volume_path = "${d}/storage/volumes"

[network]
network_config_dir = "${d}/networks"
`;
    await writeFile(join(d, 'conf', 'storage.conf'), storage);
    await writeFile(join(d, 'conf', 'containers.conf'), containers);
  }

  /** Imports a rootfs of busybox and its applet links, once per engine directory. */
  private async ensureImage(): Promise<void> {
    if (
      await this.podman(['image', 'exists', this.image]).then(
        () => true,
        () => false,
      )
    )
      return;
    const rootfs = join(this.dir, 'rootfs');
    await rm(rootfs, { recursive: true, force: true });
    for (const sub of ['bin', 'tmp', 'etc', 'proc', 'sys', 'dev'])
      await mkdir(join(rootfs, sub), { recursive: true });
    await copyFile(BUSYBOX, join(rootfs, 'bin', 'busybox'));
    for (const applet of [...APPLETS, ...MORE_APPLETS]) await symlink('busybox', join(rootfs, 'bin', applet));
    const tar = join(this.dir, 'rootfs.tar');
    await new Promise<void>((resolve, reject) =>
      execFile('tar', ['--numeric-owner', '-C', rootfs, '-cf', tar, '.'], (e) => (e ? reject(e) : resolve())),
    );
    await this.podman([
      'import',
      '-q',
      '--change',
      'ENV PATH=/bin',
      '--change',
      'CMD ["sh"]',
      tar,
      this.image,
    ]);
    await rm(rootfs, { recursive: true, force: true });
    await rm(tar, { force: true });
  }
}
