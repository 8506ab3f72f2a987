// Host-side helpers of the podman test engine: what must be installed, processes, sockets, mounts.
import { execFile } from 'node:child_process';
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { readdir, readFile, readlink } from 'node:fs/promises';
import http from 'node:http';
import { delimiter, join } from 'node:path';

export const BUSYBOX = '/bin/busybox';
const INSTALL_HINT = 'install them with: apt-get install -y podman runc busybox-static';

/** Throws, saying what to install, when podman, runc or a static busybox is missing. */
export function checkInstalled(): void {
  const path = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin'];
  const missing = ['podman', 'runc'].filter((bin) => !path.some((d) => d && existsSync(join(d, bin))));
  if (!existsSync(BUSYBOX) || !isStaticElf(BUSYBOX))
    missing.push(`busybox-static (${BUSYBOX}, statically linked)`);
  if (missing.length > 0) {
    throw new Error(
      `The podman test engine needs ${missing.join(', ')}, which this machine lacks: ${INSTALL_HINT}`,
    );
  }
}

/** A 64-bit ELF without a PT_INTERP program header runs without a dynamic loader (inside an empty rootfs). */
function isStaticElf(file: string): boolean {
  const head = Buffer.alloc(4096);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  if (head.readUInt32BE(0) !== 0x7f454c46 || head[4] !== 2) return false;
  const phoff = Number(head.readBigUInt64LE(0x20));
  const size = head.readUInt16LE(0x36);
  const count = head.readUInt16LE(0x38);
  for (let i = 0; i < count && phoff + (i + 1) * size <= head.length; i++) {
    if (head.readUInt32LE(phoff + i * size) === 3) return false;
  }
  return true;
}

/** Whether the API on `socketPath` answers GET /_ping. */
export function ping(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ socketPath, path: '/_ping', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

/** Lazily unmounts whatever podman left mounted under `dir` (overlay layers, shm), deepest first. */
export async function unmountUnder(dir: string): Promise<void> {
  const mounts = (await readFile('/proc/self/mountinfo', 'utf8').catch(() => ''))
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((point) => point === dir || point.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const point of mounts) {
    await new Promise<void>((resolve) => execFile('umount', ['-l', point], () => resolve()));
  }
}

/**
 * Ends the processes podman left working in `dir` (conmon and its cleanup commands outlive `podman rm` by a
 * moment, and write into the storage while it is being removed): SIGTERM, then SIGKILL after 5 s; resolves once
 * none is left.
 */
export async function endProcessesUsing(dir: string): Promise<void> {
  const deadline = Date.now() + 5000;
  for (let signal: NodeJS.Signals = 'SIGTERM'; ;) {
    const pids = await processesUsing(dir);
    if (pids.length === 0) return;
    if (Date.now() > deadline) signal = 'SIGKILL';
    for (const pid of pids) {
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Processes other than this one whose command line names `dir` or whose working directory is inside it. */
async function processesUsing(dir: string): Promise<number[]> {
  const inside = (path: string) => path === dir || path.startsWith(`${dir}/`);
  const found: number[] = [];
  for (const name of await readdir('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => '');
    if (cmdline.split('\0').some((arg) => arg.includes(dir)) || inside(cwd)) found.push(pid);
  }
  return found;
}
