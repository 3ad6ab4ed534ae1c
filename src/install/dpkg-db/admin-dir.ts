// The dpkg admin directory on disk, staged — every change is held in memory and written by
// flush(), each file atomically (STYLE rule 8), before any maintainer script runs.
//
// dpkg writes its database files atomically too (lib/dpkg/atomic-file.c: `NAME-new`,
// fchmod 0644, rename), so a reader never sees half a file; the modes are dpkg's, set
// explicitly (fchmod) rather than through the umask. Modification times are those of
// writing (the tar writer clamps them), except where dpkg keeps an archive's: the control
// files it extracts into tmp.ci/ and renames into info/ (`write(..., mtime)`).

import { chmodSync, closeSync, fchmodSync, futimesSync, lstatSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { lstat, readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { CrossrootError } from '../../errors.js';

/** Numbers the temporary names of one process (no randomness: STYLE). */
let temporaries = 0;

type Op = { kind: 'write'; data: Buffer; mode: number; mtime?: number } | { kind: 'delete' };

/**
 * A staged view of one directory tree: reads see staged changes first, flush() makes the
 * disk match. Paths are relative, `/`-separated.
 *
 * @example
 * The directories are the root's, where maintainer scripts have run: every directory from
 * `base` (the root) down to a file's is checked not to be a symlink before crossroot reads,
 * writes or removes there, so a script that points `var/lib/dpkg/updates` at a host
 * directory cannot make crossroot (root, outside the sandbox) write or delete in it.
 *
 * const d = new AdminDir('/root/var/lib/dpkg', '/root');
 * d.write('info/format', '1\n', 0o644);
 * await d.flush();
 */
export class AdminDir {
  readonly path: string;
  readonly #base: string;
  readonly #ops = new Map<string, Op>();
  readonly #mkdirs = new Map<string, number>();
  readonly #rmdirs = new Set<string>();
  /** Directories found to be real since the last flush (scripts run only after one). */
  readonly #checked = new Set<string>();

  constructor(path: string, base: string = path) {
    this.path = path;
    this.#base = base;
  }

  /**
   * Throws unless every existing component of `rel` (relative to this.path), and of
   * this.path below `base`, is a directory and no symlink. Missing ones are fine: they are
   * created fresh.
   */
  #checkDir(rel: string): void {
    const full = rel === '' || rel === '.' ? this.path : join(this.path, rel);
    if (this.#checked.has(full)) return;
    const below = relative(this.#base, full);
    let cur = this.#base;
    for (const part of below === '' ? [] : below.split('/')) {
      cur = join(cur, part);
      if (this.#checked.has(cur)) continue;
      const st = lstatSync(cur, { throwIfNoEntry: false });
      if (st === undefined) return;
      if (st.isSymbolicLink() || !st.isDirectory()) {
        const what = st.isSymbolicLink() ? 'is a symlink (a maintainer script replaced it?)' : 'is not a directory';
        throw new CrossrootError('INSTALL_UNSAFE_PATH', `dpkg database directory ${what}; crossroot does not follow it`, { path: relative(this.#base, cur) });
      }
      this.#checked.add(cur);
    }
  }

  /** The file's bytes as they will be after flush(), or undefined when absent. */
  async read(rel: string): Promise<Buffer | undefined> {
    const op = this.#ops.get(rel);
    if (op !== undefined) return op.kind === 'write' ? op.data : undefined;
    if (this.#underRemovedDir(rel)) return undefined;
    this.#checkDir(dirname(rel));
    try {
      if ((await lstat(join(this.path, rel))).isSymbolicLink()) {
        throw new CrossrootError('INSTALL_UNSAFE_PATH', 'dpkg database file is a symlink; crossroot does not follow it', { path: relative(this.#base, join(this.path, rel)) });
      }
      return await readFile(join(this.path, rel));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw err;
    }
  }

  /** The file's mode as it will be after flush(), or undefined when absent. */
  async mode(rel: string): Promise<number | undefined> {
    const op = this.#ops.get(rel);
    if (op !== undefined) return op.kind === 'write' ? op.mode : undefined;
    if (this.#underRemovedDir(rel)) return undefined;
    try {
      return (await lstat(join(this.path, rel))).mode & 0o7777;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw err;
    }
  }

  async exists(rel: string): Promise<boolean> {
    return (await this.mode(rel)) !== undefined;
  }

  /** Stages a file; `data` strings are latin1 (one char per byte); `mtime` (seconds) when it must be kept. */
  write(rel: string, data: Buffer | string, mode: number, mtime?: number): void {
    this.#ops.set(rel, { kind: 'write', data: typeof data === 'string' ? Buffer.from(data, 'latin1') : data, mode, mtime });
  }

  /** The mtime a staged file will get (undefined: the time of writing), else the one on disk. */
  async mtime(rel: string): Promise<number | undefined> {
    const op = this.#ops.get(rel);
    if (op !== undefined) return op.kind === 'write' ? op.mtime : undefined;
    const st = await lstat(join(this.path, rel)).catch(() => undefined);
    return st === undefined ? undefined : Math.floor(st.mtimeMs / 1000);
  }

  remove(rel: string): void {
    this.#ops.set(rel, { kind: 'delete' });
  }

  /** Stages a directory to create (with `mode`) when missing; existing ones are left alone. */
  mkdir(rel: string, mode = 0o755): void {
    this.#mkdirs.set(rel, mode);
  }

  /**
   * Stages the removal of a directory tree (dpkg's path_remove_tree). flush() removes
   * trees first, so whatever is staged below `rel` after this call is written afresh.
   */
  rmdir(rel: string): void {
    for (const key of [...this.#ops.keys()]) if (key.startsWith(`${rel}/`)) this.#ops.delete(key);
    for (const key of [...this.#mkdirs.keys()]) if (key === rel || key.startsWith(`${rel}/`)) this.#mkdirs.delete(key);
    this.#rmdirs.add(rel);
  }

  #underRemovedDir(rel: string): boolean {
    for (const d of this.#rmdirs) if (rel === d || rel.startsWith(`${d}/`)) return true;
    return false;
  }

  /** Names in a directory after flush(): what is on disk, plus staged files, minus staged deletions. */
  async list(relDir: string): Promise<string[]> {
    const names = new Set<string>();
    if (!this.#underRemovedDir(relDir)) {
      this.#checkDir(relDir);
      try {
        for (const n of await readdir(join(this.path, relDir))) names.add(n);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
      }
    }
    const prefix = `${relDir}/`;
    for (const [key, op] of this.#ops) {
      if (!key.startsWith(prefix) || key.slice(prefix.length).includes('/')) continue;
      const name = key.slice(prefix.length);
      if (op.kind === 'write') names.add(name);
      else names.delete(name);
    }
    return [...names].sort();
  }

  /** Whether anything is staged. */
  get dirty(): boolean {
    return this.#ops.size > 0 || this.#mkdirs.size > 0 || this.#rmdirs.size > 0;
  }

  /**
   * Makes the disk match: removed trees first, then new directories, then files (each
   * atomically). Synchronous calls: a flush before every maintainer script writes hundreds
   * of small files, and a thread-pool hop per call costs more than the call.
   */
  async flush(): Promise<void> {
    this.#checkDir('');
    mkdirSync(this.path, { recursive: true });
    for (const rel of this.#rmdirs) {
      this.#checkDir(dirname(rel));
      rmSync(join(this.path, rel), { recursive: true, force: true });
    }
    this.#rmdirs.clear();
    for (const [rel, mode] of [...this.#mkdirs].sort(([a], [b]) => a.split('/').length - b.split('/').length)) {
      const full = join(this.path, rel);
      // rel itself too: chmod would follow a symlink there.
      this.#checkDir(rel);
      try {
        mkdirSync(full);
        chmodSync(full, mode);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
    this.#mkdirs.clear();
    for (const [rel, op] of this.#ops) {
      const full = join(this.path, rel);
      this.#checkDir(dirname(rel));
      if (op.kind === 'delete') {
        rmSync(full, { force: true });
        continue;
      }
      mkdirSync(dirname(full), { recursive: true });
      const tmp = join(dirname(full), `.${rel.split('/').pop()}.crossroot-${process.pid}-${++temporaries}`);
      const fd = openSync(tmp, 'wx', 0o600);
      try {
        writeFileSync(fd, op.data);
        fchmodSync(fd, op.mode);
        if (op.mtime !== undefined) futimesSync(fd, op.mtime, op.mtime);
      } finally {
        closeSync(fd);
      }
      try {
        renameSync(tmp, full);
      } catch (err) {
        rmSync(tmp, { force: true });
        throw err;
      }
    }
    this.#ops.clear();
    // A maintainer script runs next: what was checked must be checked again.
    this.#checked.clear();
  }
}
