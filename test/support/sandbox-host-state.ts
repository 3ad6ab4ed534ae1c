// A fingerprint of the host file system, to prove that maintainer scripts left it alone.
//
// What is covered, and why only that:
// - /etc: every entry's metadata and every regular file's SHA-256 (small, ~3 MB, and
//   where an escaping script would most likely write);
// - /usr (and so /bin, /sbin, /lib on a merged-/usr host, where they are symlinks into it)
//   and /var/lib/dpkg: every entry's type, mode, owner, size, mtime, ctime and inode.
//   ctime catches chmod/chown/touch as well as writes, without reading 140k files
//   (a full walk takes a few seconds; hashing /usr would take minutes).
// Left out: what changes on its own or under other test workers running at the same time:
// /var/tmp, /var/cache, /var/log, /var/lib/apt (apt-get update), /tmp, /root (caches), and
// dpkg's lock files (lock, lock-frontend, triggers/Lock: created by any dpkg or apt run
// on the host). Writes there are checked by name instead (tests look for the files their
// escaping script tried to create).
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync, type BigIntStats } from 'node:fs';
import { join } from 'node:path';

export const HASHED_TREES = ['/etc'];
export const STATTED_TREES = ['/usr', '/var/lib/dpkg'];
const EXCLUDED = new Set(['/var/lib/dpkg/lock', '/var/lib/dpkg/lock-frontend', '/var/lib/dpkg/triggers/Lock']);

/** path → fingerprint line, for every entry under the covered trees. */
export function hostFingerprint(): Map<string, string> {
  const out = new Map<string, string>();
  for (const t of HASHED_TREES) walk(t, true, out);
  for (const t of STATTED_TREES) walk(t, false, out);
  return out;
}

/** The paths whose fingerprint differs, appeared or vanished. */
export function fingerprintChanges(before: Map<string, string>, after: Map<string, string>): string[] {
  const changed: string[] = [];
  for (const [p, f] of before) if (after.get(p) !== f) changed.push(`${p}: ${f} -> ${after.get(p) ?? 'gone'}`);
  for (const p of after.keys()) if (!before.has(p)) changed.push(`${p}: new`);
  return changed.sort();
}

function walk(path: string, hash: boolean, out: Map<string, string>): void {
  if (EXCLUDED.has(path)) return;
  let st: BigIntStats;
  try {
    st = lstatSync(path, { bigint: true });
  } catch {
    return; // vanished between readdir and lstat: shows up as "gone" if it was there before
  }
  let line = `${st.mode.toString(8)} ${st.uid}:${st.gid} ${st.size} m${st.mtimeNs} c${st.ctimeNs} i${st.ino}`;
  if (st.isSymbolicLink()) line += ` -> ${readlinkSync(path)}`;
  else if (st.isFile() && hash) line += ` ${createHash('sha256').update(readFileSync(path)).digest('hex')}`;
  out.set(path, line);
  if (!st.isDirectory()) return;
  let names: string[];
  try {
    names = readdirSync(path);
  } catch {
    return;
  }
  for (const n of names) walk(join(path, n), hash, out);
}
