// A member-by-member view of a tarball from GNU tar alone: its verbose listing, and sha256 of each file it extracts.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBuffer } from './cli.js';

/** member name (as GNU tar lists it) -> "listing fields [sha256]" */
export async function gnuTarView(tarball: string): Promise<Map<string, string>> {
  const listing = (await runBuffer('tar', ['--list', '--verbose', '--numeric-owner', '--full-time', '--quoting-style=literal', '-f', tarball])).toString();
  const dir = await mkdtemp(join(tmpdir(), 'crossroot-taroracle-'));
  try {
    await runBuffer('tar', ['--extract', '--numeric-owner', '--same-permissions', '-f', tarball, '-C', dir]);
    const sums = (await runBuffer('sh', ['-c', 'cd "$1" && find . -type f -print0 | xargs -0 -r sha256sum', 'sh', dir])).toString();
    const digest = new Map<string, string>();
    for (const line of sums.split('\n')) {
      const m = /^([0-9a-f]{64}) {2}(.*)$/.exec(line);
      if (m) digest.set(m[2]!.replace(/^\.\//, ''), m[1]!);
    }
    const view = new Map<string, string>();
    for (const line of listing.split('\n')) {
      if (line === '') continue;
      // PERMS OWNER SIZE DATE TIME NAME[ -> LINK | link to TARGET]
      const m = /^(\S+) (\S+) +(\S+) (\S+) (\S+) (.*)$/.exec(line);
      if (m === null) throw new Error(`unexpected tar listing line: ${line}`);
      const [, perms, owner, size, date, time, rest] = m;
      const name = rest!.replace(/ (->|link to) .*$/, '');
      const rel = name.replace(/^\.\//, '').replace(/\/$/, '');
      view.set(rel === '.' ? '' : rel, `${perms} ${owner} ${size} ${date} ${time} ${rest!.slice(name.length)} ${perms!.startsWith('-') ? (digest.get(rel) ?? '?') : ''}`);
    }
    return view;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Members that differ between two views, or exist in one only, sorted. */
export function differingMembers(a: Map<string, string>, b: Map<string, string>): string[] {
  const out: string[] = [];
  for (const name of new Set([...a.keys(), ...b.keys()])) if (a.get(name) !== b.get(name)) out.push(name);
  return out.sort();
}
