// Tar entry — the member metadata crossroot uses, after pax and GNU extensions are applied.

/** Entry types with dpkg's names for them (what `inspect --json` prints). */
export type TarEntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo';

/** One archive member. `mode` holds the permission bits only (`& 0o7777`). */
export interface TarEntry {
  /** The path as stored (`./usr/bin/x` in a deb's data.tar). */
  path: string;
  type: TarEntryType;
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  size: number;
  /** Seconds since the epoch; pax sub-second parts are dropped, as dpkg does. */
  mtime: number;
  /** Symlink target or hardlink source, as stored. */
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  /** pax extended attributes (`SCHILY.xattr.*`) when present. */
  xattrs?: Record<string, string>;
}
