// CPU time (user + system) of this process's child processes and their descendants, read from /proc (Linux). On a
// shared machine wall-clock figures swing with the load; the CPU a run needed swings much less.
import { readdirSync, readFileSync } from 'node:fs';

const TICK_MS = 10; // USER_HZ is 100 on Linux.

/** CPU ms used so far by the descendants of this process, leaving out `skip` (a child) and its descendants. */
export function descendantsCpuMs(skip?: number): number {
  const procs = new Map<number, { ppid: number; ms: number }>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // Gone meanwhile.
    }
    // Fields after the command (which may hold spaces): state ppid … utime(14) stime(15).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    procs.set(Number(name), {
      ppid: Number(fields[1]),
      ms: (Number(fields[11]) + Number(fields[12])) * TICK_MS,
    });
  }
  let total = 0;
  for (const [pid, { ms }] of procs) {
    for (let up = pid; up > 1 && up !== skip; up = procs.get(up)?.ppid ?? 0) {
      if (procs.get(up)?.ppid === process.pid) {
        total += ms;
        break;
      }
    }
  }
  return total;
}
