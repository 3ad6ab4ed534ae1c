// Compared member — a tree entry's metadata as compare sees it, from tar(5) pax headers or lstat(2).

import type { TarEntry, TarEntryType } from '../formats/tar/entry.js';
import { normalizeMemberName } from './member-name.js';

/** One member of a tree, with its name normalized and hardlink targets normalized too. */
export interface Member {
  /** Normalized name (`/usr/bin/x`, the root is `/`): see `normalizeMemberName`. */
  name: string;
  type: TarEntryType;
  /** Permission bits only (`& 0o7777`). */
  mode: number;
  uid: number;
  gid: number;
  /** Owner names; undefined when the input does not record them (a directory on disk). */
  uname?: string;
  gname?: string;
  /** Bytes of content: regular files only, 0 for every other type (hardlinks included). */
  size: number;
  /** Seconds since the epoch (sub-second parts dropped, as dpkg and `tar -tv` do). */
  mtime: number;
  /** Symlink target as stored (not normalized: `usr/bin` and `./usr/bin` differ). */
  linkname?: string;
  /** Hardlink target, normalized like `name`. */
  hardlink?: string;
  devmajor?: number;
  devminor?: number;
  /** Extended attributes (pax `SCHILY.xattr.*`, or `getfattr` for a directory). */
  xattrs?: Record<string, string>;
}

/** A member and its content (an empty stream for anything but a regular file). */
export interface TreeMember {
  member: Member;
  body: AsyncIterable<Buffer>;
}

/**
 * The compare view of a tar entry.
 *
 * @example
 * memberFromTarEntry({ path: './etc/', type: 'dir', mode: 0o755, uid: 0, gid: 0, uname: '', gname: '', size: 0, mtime: 0 }).name
 * // '/etc'
 */
export function memberFromTarEntry(e: TarEntry): Member {
  const m: Member = {
    name: normalizeMemberName(e.path),
    type: e.type,
    mode: e.mode,
    uid: e.uid,
    gid: e.gid,
    uname: e.uname,
    gname: e.gname,
    size: e.type === 'file' ? e.size : 0,
    mtime: e.mtime,
  };
  if (e.type === 'symlink') m.linkname = e.linkname ?? '';
  if (e.type === 'hardlink') m.hardlink = normalizeMemberName(e.linkname ?? '');
  if (e.type === 'char' || e.type === 'block') {
    m.devmajor = e.devmajor ?? 0;
    m.devminor = e.devminor ?? 0;
  }
  if (e.xattrs !== undefined && Object.keys(e.xattrs).length > 0) m.xattrs = e.xattrs;
  return m;
}
