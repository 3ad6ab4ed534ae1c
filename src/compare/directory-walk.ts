// Directory tree walk — a tree on disk as the members `tar --sort=name` would write, from lstat(2).

import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { CrossrootError } from '../errors.js';
import type { TarEntryType } from '../formats/tar/entry.js';
import { readDirectoryXattrs } from './directory-xattrs.js';
import type { Member, TreeMember } from './member.js';
import { compareMemberNames, normalizeMemberName } from './member-name.js';

const S_IFMT = 0o170000n;
const TYPES = new Map<bigint, TarEntryType>([
  [0o100000n, 'file'],
  [0o040000n, 'dir'],
  [0o120000n, 'symlink'],
  [0o020000n, 'char'],
  [0o060000n, 'block'],
  [0o010000n, 'fifo'],
]);

const EMPTY: AsyncIterable<Buffer> = { [Symbol.asyncIterator]: () => ({ next: async () => ({ done: true, value: undefined }) }) };

/** A file's content, opened only when read (a member whose body is skipped costs no fd). */
function lazyFile(path: string, label: string, name: string): AsyncIterable<Buffer> {
  return {
    async *[Symbol.asyncIterator]() {
      try {
        yield* createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>;
      } catch (err) {
        throw inputError(err, label, name);
      }
    },
  };
}

function inputError(err: unknown, label: string, name: string): CrossrootError {
  if (err instanceof CrossrootError) return err;
  const e = err as NodeJS.ErrnoException;
  return new CrossrootError('FORMAT_INPUT', `cannot read: ${e.code ?? e.message}`, { file: label, path: name });
}

/** Linux `major()`/`minor()` of a dev_t (glibc's encoding). */
function deviceNumbers(rdev: bigint): { major: number; minor: number } {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  return { major: Number(major), minor: Number(minor) };
}

/**
 * Walks the tree under `root` depth first, a directory before its contents, siblings in
 * byte order: the order `tar --sort=name -C root -cf - .` writes. As GNU tar does, the
 * second and later names of a non-directory with several links are hardlinks to the first,
 * and sockets are skipped (tar cannot store them). Owner names are not recorded on disk
 * (only ids), so `uname`/`gname` stay undefined. Memory: the sorted names of the open
 * directories, the inode → first name map of multiply-linked files, and the xattrs.
 *
 * @example
 * for await (const { member } of walkDirectory('/srv/rootfs')) console.log(member.name);
 */
export async function* walkDirectory(given: string): AsyncGenerator<TreeMember> {
  // the root itself may be a symlink to the tree (the user named it); nothing below it is followed
  let root: string;
  try {
    root = await realpath(given);
  } catch (err) {
    throw inputError(err, given, '/');
  }
  const xattrs = await readDirectoryXattrs(root, given);
  const links = new Map<string, string>();

  async function* visit(path: string, rel: string): AsyncGenerator<TreeMember> {
    const name = normalizeMemberName(rel);
    let st;
    try {
      st = await lstat(path, { bigint: true });
    } catch (err) {
      throw inputError(err, given, name);
    }
    const type = TYPES.get(st.mode & S_IFMT);
    if (type === undefined) return; // a socket
    const member: Member = {
      name,
      type,
      mode: Number(st.mode & 0o7777n),
      uid: Number(st.uid),
      gid: Number(st.gid),
      size: type === 'file' ? Number(st.size) : 0,
      mtime: Number(st.mtimeNs / 1_000_000_000n) - (st.mtimeNs < 0n && st.mtimeNs % 1_000_000_000n !== 0n ? 1 : 0),
    };
    const x = xattrs.get(name);
    if (x !== undefined) member.xattrs = x;
    if (type !== 'dir' && st.nlink > 1n) {
      const key = `${st.dev}:${st.ino}`;
      const first = links.get(key);
      if (first !== undefined) {
        member.type = 'hardlink';
        member.hardlink = first;
        member.size = 0;
        yield { member, body: EMPTY };
        return;
      }
      links.set(key, name);
    }
    if (type === 'symlink') {
      try {
        member.linkname = await readlink(path);
      } catch (err) {
        throw inputError(err, given, name);
      }
    }
    if (type === 'char' || type === 'block') {
      const { major, minor } = deviceNumbers(st.rdev);
      member.devmajor = major;
      member.devminor = minor;
    }
    yield { member, body: type === 'file' ? lazyFile(path, given, name) : EMPTY };
    if (type !== 'dir') return;
    let names: string[];
    try {
      names = await readdir(path);
    } catch (err) {
      throw inputError(err, given, name);
    }
    // Siblings never contain '/', so the member order is plain code-point (UTF-8 byte) order.
    names.sort(compareMemberNames);
    for (const n of names) yield* visit(join(path, n), rel === '.' ? `./${n}` : `${rel}/${n}`);
  }

  yield* visit(root, '.');
}
