// The `info/` directory of the dpkg database — dpkg 1.21.23 `lib/dpkg/db-ctrl-format.c`
// (pkg_infodb_get_file), `lib/dpkg/db-fsys-files.c` (write_filelist_except),
// `lib/dpkg/db-fsys-digest.c` (write_filehash_except), `lib/dpkg/tarfn.c`
// (tar_extractor) and `src/main/unpack.c` (pkg_infodb_update).
//
// Rules:
// - `info/format` holds `1\n` (the multiarch layout), written on the first run;
// - files are `info/NAME.TYPE`, or `info/NAME:ARCH.TYPE` when the package is
//   Multi-Arch: same (the arch of the version being installed);
// - every control member whose name has no `.` is installed as `info/NAME.MEMBER` with
//   the mode it had in control.tar (dpkg-deb extracts it as root with tar -x, which keeps
//   permissions), except `control` (never copied: the status file holds it) and `list`
//   (refused with a warning); `md5sums`, `conffiles`, `triggers`, `shlibs`, `symbols`,
//   `templates`, `config` and the scripts are all copied as they are;
// - a maintainer script dpkg runs whose mode lacks any of r-x for all (mode & 0555 !=
//   0555) is first chmod 0755 (script.c setexecute): the stored copy keeps that mode;
// - `info/NAME.list`: one line per data.tar member, in the order dpkg's tar extractor
//   handles them: every member in archive order, except that symbolic links are
//   deferred to the end (still in archive order among themselves). Names are
//   normalised by fsys_hash_find_node(): leading `/` and `./` pairs dropped, one `/`
//   put back, a directory's trailing `/` removed — so `./` becomes `/.`, the first line;
//   duplicates are kept. Mode 0644;
// - `info/NAME.md5sums`: copied from the package when it has one (never checked or
//   rewritten); otherwise generated: `MD5  PATH` (two spaces, PATH without its leading
//   `/`) for each regular file and each hard link to one, in list order; an empty file
//   when there are none. Mode 0644.

import type { TarEntryType } from '../../formats/tar/entry.js';
import type { PkgBin } from './package.js';

/** A data.tar member as the database needs it. */
export interface DataEntry {
  /** The path as stored in the archive (`./usr/bin/x`, `./usr/bin/`), as Unicode text (encoded back to UTF-8 bytes). */
  path: string;
  type: TarEntryType;
  /** Hard link target (as stored); symlink targets are not needed. */
  linkname?: string;
  /** Hex MD5 of a regular file's content (as dpkg computes while extracting). */
  md5?: string;
}

/**
 * fsys_hash_find_node()'s name for a path: leading `/` and `./` pairs skipped, one
 * `/` added. Trailing slashes are the caller's business (tar entries lose one).
 *
 * @example
 * normalizeDbPath('./usr/bin') // '/usr/bin'
 * normalizeDbPath('.')         // '/.'
 */
export function normalizeDbPath(path: string): string {
  let i = 0;
  while (path[i] === '/' || (path[i] === '.' && path[i + 1] === '/')) i += path[i] === '/' ? 1 : 2;
  return `/${path.slice(i)}`;
}

/** The database name of a tar member (tar_extractor strips a directory's trailing `/`). */
export function entryDbName(entry: DataEntry): string {
  const isDir = entry.type === 'dir' || (entry.type === 'file' && entry.path.endsWith('/'));
  const path = isDir && entry.path.endsWith('/') ? entry.path.slice(0, -1) : entry.path;
  return normalizeDbPath(toBytes(path));
}

/** The database works on byte strings (latin1); tar names arrive as Unicode text from UTF-8. */
export function toBytes(text: string): string {
  // eslint-disable-next-line no-control-regex -- ASCII fast path
  return /^[\x00-\x7f]*$/.test(text) ? text : Buffer.from(text, 'utf8').toString('latin1');
}

/** The members in the order dpkg processes them: symbolic links last. */
export function dpkgEntryOrder<T extends DataEntry>(entries: readonly T[]): T[] {
  return [...entries.filter((e) => e.type !== 'symlink'), ...entries.filter((e) => e.type === 'symlink')];
}

/** `info/NAME.list` content for members already in dpkg order. */
export function formatFileList(names: readonly string[]): string {
  return names.map((n) => `${n}\n`).join('');
}

/** The `info/` file name of TYPE for a package version (pkg_infodb_get_file). */
export function infoFileName(name: string, bin: PkgBin, type: string): string {
  return bin.multiarch === 'same' && bin.arch !== undefined && bin.arch !== '' ? `${name}:${bin.arch}.${type}` : `${name}.${type}`;
}

/** The prefix (before the last `.`) pkg_infodb_foreach() matches for a package version. */
export function infoFilePrefix(name: string, bin: PkgBin): string {
  return bin.multiarch === 'same' && bin.arch !== undefined && bin.arch !== '' ? `${name}:${bin.arch}` : name;
}

/** Control members dpkg installs into `info/` (pkg_infodb_update): no `.`, not `control`, not `list`. */
export function isInstalledControlMember(name: string): boolean {
  return !name.includes('.') && name !== 'control' && name !== 'list';
}
