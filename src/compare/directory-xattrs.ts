// Extended attributes of a directory tree — read with getfattr(1) from Debian's `attr`, xattr(7).

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { relative } from 'node:path';
import { CrossrootError } from '../errors.js';
import { findProgram } from '../host/programs.js';
import { normalizeMemberName } from './member-name.js';

/**
 * POSIX ACLs are xattrs on Linux, but tar stores them apart (`--acls`, `SCHILY.acl.*`), so
 * they are not compared as xattrs here either.
 */
const SKIPPED = new Set(['system.posix_acl_access', 'system.posix_acl_default']);

/** Undoes getfattr's quoting: `\ooo` octal escapes for non-printable bytes, `\`, `=`. */
function unquote(raw: Buffer): string {
  const out: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === 0x5c && i + 3 < raw.length && /^[0-7]{3}$/.test(raw.subarray(i + 1, i + 4).toString('latin1'))) {
      out.push(parseInt(raw.subarray(i + 1, i + 4).toString('latin1'), 8));
      i += 3;
    } else {
      out.push(c);
    }
  }
  return Buffer.from(out).toString('utf8');
}

/**
 * Every member of the tree under `root` that has extended attributes, by normalized member
 * name. One `getfattr -R` walk: Node has no xattr API, and one process for the whole tree is
 * cheaper than one per file. Values are decoded as UTF-8, as the tar reader decodes pax
 * values, so both kinds of input compare alike. Only members with attributes are held.
 *
 * @example
 * const xattrs = await readDirectoryXattrs('/srv/rootfs');
 * xattrs.get('/usr/bin/ping') // { 'security.capability': '...' }
 */
export async function readDirectoryXattrs(root: string, label = root): Promise<Map<string, Record<string, string>>> {
  const getfattr = findProgram('getfattr');
  if (getfattr === undefined) {
    throw new CrossrootError('HOST_MISSING_GETFATTR', 'getfattr is needed to read the xattrs of a directory: apt-get install attr', {
      file: label,
    });
  }
  // -h: a symlink's own attributes, not its target's; -P: do not follow symlinks while recursing.
  const child = spawn(getfattr, ['--recursive', '--physical', '--no-dereference', '--dump', '--match=-', '--encoding=hex', '--absolute-names', root], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr: Buffer[] = [];
  child.stderr.on('data', (c: Buffer) => stderr.push(c));
  const closed = once(child, 'close') as Promise<[number | null, NodeJS.Signals | null]>;
  const result = new Map<string, Record<string, string>>();
  let current: Record<string, string> | undefined;
  let pending: Buffer = Buffer.alloc(0);
  const line = (l: Buffer) => {
    if (l.length === 0) return;
    if (l.subarray(0, 8).toString('latin1') === '# file: ') {
      const name = normalizeMemberName(relative(root, unquote(l.subarray(8))));
      current = {};
      result.set(name, current);
      return;
    }
    if (current === undefined) return;
    const eq = l.indexOf(0x3d); // '=' inside a name is quoted, so the first one separates
    const key = unquote(eq < 0 ? l : l.subarray(0, eq));
    const value = eq < 0 ? '' : l.subarray(eq + 1).toString('latin1');
    if (SKIPPED.has(key)) return;
    current[key] = Buffer.from(value.replace(/^0x/, ''), 'hex').toString('utf8');
  };
  for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    let nl: number;
    while ((nl = pending.indexOf(0x0a)) >= 0) {
      line(pending.subarray(0, nl));
      pending = pending.subarray(nl + 1);
    }
  }
  line(pending);
  const [code] = await closed;
  // a file system without xattr support has no xattrs to compare: not an error
  const complaints = Buffer.concat(stderr).toString().trim().split('\n').filter((l) => l !== '' && !/Operation not supported/.test(l));
  if (code !== 0 && complaints.length > 0) {
    const why = complaints.pop() ?? `exit ${code}`;
    throw new CrossrootError('FORMAT_INPUT', `getfattr: ${why}`, { file: label });
  }
  for (const [name, attrs] of result) if (Object.keys(attrs).length === 0) result.delete(name);
  return result;
}
