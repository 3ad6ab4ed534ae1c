// Stale temporaries — work files named after the process that owns them, so that what a
// killed run left (SIGKILL: no handler runs, see interrupt.ts for the signals that do) is
// known for what it is and removed by the next run.
//
// An owner tag is `PID.START.PIDNS`: START is the process's start time (clock ticks since
// boot, field 22 of /proc/PID/stat), so a pid the kernel has since given to another process
// is not mistaken for the owner; PIDNS is the pid namespace's inode, and a tag from another
// namespace (a container sharing TMPDIR) is never judged, as its pids mean nothing here.
// Every work directory (`crossroot-KIND-TAG-XXXXXX` in TMPDIR), temporary output
// (`.NAME.crossroot-tmp-TAG-N` beside TARGET, and in the cache's tools-v1/) and cache
// temporary (`*.partial-TAG-N`) carries one.

import { readFileSync, readlinkSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const TAG = String.raw`\d+\.\d+\.\d+`;
/** Work directories in TMPDIR. */
export const STALE_WORK_DIRECTORY = new RegExp(`^crossroot-[a-z]+-(?<tag>${TAG})-[A-Za-z0-9]{6}$`);
/** Temporary outputs beside their final name (host/atomic.ts). */
export const STALE_TEMPORARY_OUTPUT = new RegExp(`^\\..+\\.crossroot-tmp-(?<tag>${TAG})-\\d+$`);
/** Cache files being written (repository/cache.ts, install/prepared.ts). */
export const STALE_PARTIAL = new RegExp(`\\.partial-(?<tag>${TAG})-\\d+$`);

/** Start time of `pid` in clock ticks since boot, or undefined when it cannot be read. */
function startTime(pid: number | 'self'): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // Fields after the command name (which may hold spaces and parentheses): state is field 3.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[22 - 3];
  } catch {
    return undefined;
  }
}

let namespace: string | undefined;

function pidNamespace(): string {
  if (namespace === undefined) {
    try {
      namespace = /\d+/.exec(readlinkSync('/proc/self/ns/pid'))?.[0] ?? '0';
    } catch {
      namespace = '0';
    }
  }
  return namespace;
}

let own: string | undefined;

/** This process's owner tag, `PID.START.PIDNS`. */
export function ownerTag(): string {
  own ??= `${process.pid}.${startTime('self') ?? '0'}.${pidNamespace()}`;
  return own;
}

function exists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH'; // EPERM: another user's process
  }
}

/** False only when the tag's owner is certainly gone: no such pid, or the pid is another process now. */
export function ownerAlive(tag: string): boolean {
  const [pid, start, ns] = tag.split('.').map(Number) as [number, number, number];
  if (String(ns) !== pidNamespace() || pid < 1) return true;
  if (!exists(pid)) return false;
  const now = startTime(pid);
  // Unreadable (a /proc mounted with hidepid): it exists, so what it owns is kept.
  return now === undefined || Number(now) === start;
}

/**
 * A new work directory's prefix in `dir` (default TMPDIR), for mkdtemp: `crossroot-KIND-TAG-`.
 *
 * @example
 * const dir = await mkdtemp(workDirectoryPrefix('root'));
 */
export function workDirectoryPrefix(kind: string, dir: string = tmpdir()): string {
  return join(dir, `crossroot-${kind}-${ownerTag()}-`);
}

/**
 * Removes the entries of `dir` whose names match `pattern` (its `tag` group an owner tag) and
 * whose owner is gone; returns their paths. A missing `dir` holds nothing.
 *
 * @example
 * await removeStale(tmpdir(), STALE_WORK_DIRECTORY); // [ '/tmp/crossroot-root-4242.81234.4026531836-Xy12ab' ]
 */
export async function removeStale(dir: string, pattern: RegExp): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of names.sort()) {
    const tag = pattern.exec(name)?.groups?.tag;
    if (tag === undefined || ownerAlive(tag)) continue;
    const path = join(dir, name);
    await rm(path, { recursive: true, force: true, maxRetries: 3 });
    removed.push(path);
  }
  return removed;
}
