// Target root guard — every archive path is hostile (STYLE rule 7); one place resolves them all.

import { lstatSync, readlinkSync } from 'node:fs';
import { posix } from 'node:path';
import { CrossrootError, type ErrorContext } from '../errors.js';

/** Where a member lands: the real host path of its parent directory and its own name. */
export interface Placement {
  /** The host path to write (parent resolved through in-root directory symlinks). */
  path: string;
  /** The member's path inside the root, normalised (`usr/bin/x`, '' for the root itself). */
  inRoot: string;
  /** In-root paths of the symlinks followed on the way to the parent, in order. */
  symlinks: string[];
}

const MAX_SYMLINKS = 40; // as Linux's MAXSYMLINKS
const NAME_MAX = 255; // bytes in one path component, Linux
const PATH_MAX = 4096; // bytes in a path with its NUL, Linux

/**
 * Normalises a member name (`./usr/bin/`, `usr//bin`) to `usr/bin`. Rejects `..`
 * components and absolute names: a package has no business naming either; and NUL or
 * newline, which no file list can hold.
 */
export function normaliseMember(name: string, ctx: ErrorContext): string {
  if (name.startsWith('/')) throw new CrossrootError('INSTALL_UNSAFE_PATH', 'absolute member name', { ...ctx, path: name });
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new CrossrootError('INSTALL_UNSAFE_PATH', 'member name contains ".."', { ...ctx, path: name });
  if (name.includes('\0')) throw new CrossrootError('INSTALL_UNSAFE_PATH', 'member name contains NUL', { ...ctx, path: name });
  // info/PKG.list and md5sums are one name a line: a newline would let a package claim
  // files it does not ship. dpkg refuses it (archives.c tarobject); other control
  // characters it accepts, and so do we.
  if (name.includes('\n')) throw new CrossrootError('INSTALL_UNSAFE_PATH', 'newline not allowed in member name (dpkg refuses it)', { ...ctx, path: name });
  // The kernel's limits (NAME_MAX, PATH_MAX), checked here so that the user reads the member's
  // name, not ENAMETOOLONG from deep inside a write.
  for (const p of parts) {
    if (Buffer.byteLength(p) > NAME_MAX) throw new CrossrootError('INSTALL_NAME_TOO_LONG', `member name has a component longer than ${NAME_MAX} bytes`, { ...ctx, path: name });
  }
  if (Buffer.byteLength(name) >= PATH_MAX) throw new CrossrootError('INSTALL_NAME_TOO_LONG', `member name longer than ${PATH_MAX - 1} bytes`, { ...ctx, path: name });
  return parts.join('/');
}

/**
 * The root a package is installed into. Resolves member paths the way `chroot ROOT tar
 * --keep-directory-symlink -x` would see them: directory symlinks inside the root are
 * followed (merged-/usr's `bin -> usr/bin`), absolute symlink targets are read relative to
 * the root, and any path that would leave the root is refused. The last component is never
 * followed: writers replace it (rename, unlink) rather than write through it.
 */
export class TargetRoot {
  readonly root: string;

  constructor(root: string) {
    this.root = posix.resolve(root);
  }

  /** Host path for an in-root path that is already known to be safe and symlink-free. */
  hostPath(inRoot: string): string {
    return inRoot === '' ? this.root : `${this.root}/${inRoot}`;
  }

  /**
   * Resolves a member name. `ctx` names the package and member in errors.
   *
   * @example
   * const { path } = await root.place('./bin/sh', { file: 'dash.deb' }); // ROOT/usr/bin/sh on merged /usr
   */
  async place(name: string, ctx: ErrorContext, knownDirs?: Set<string>): Promise<Placement> {
    return this.placeSync(name, ctx, knownDirs);
  }

  /**
   * place() without a turn of the event loop: a caller that creates what it placed in the
   * same synchronous stretch knows that no other writer changed the path in between (a
   * missing parent cannot become a symlink before it makes it).
   */
  placeSync(name: string, ctx: ErrorContext, knownDirs?: Set<string>): Placement {
    const rel = normaliseMember(name, ctx);
    if (rel === '') return { path: this.root, inRoot: '', symlinks: [] };
    const parts = rel.split('/');
    const last = parts.pop()!;
    const symlinks: string[] = [];
    const parent = this.#resolveDir(parts, ctx, name, 0, knownDirs, symlinks);
    return { path: this.hostPath(parent === '' ? last : `${parent}/${last}`), inRoot: parent === '' ? last : `${parent}/${last}`, symlinks };
  }

  /**
   * Resolves directory components inside the root, component by component as the kernel
   * does (never lexically: `l1/..` where l1 is a symlink means the parent of l1's target).
   * Symlinks are followed, absolute targets from the root; `..` above the root is refused.
   */
  #resolveDir(parts: string[], ctx: ErrorContext, member: string, depth: number, knownDirs: Set<string> | undefined, symlinks: string[]): string {
    // Synchronous on purpose: thousands of small lstat calls are much faster without the
    // thread pool hop, and nothing else can run meanwhile that would change the answer.
    const cur: string[] = [];
    for (const part of parts) {
      if (part === '' || part === '.') continue;
      if (part === '..') {
        if (cur.length === 0) throw new CrossrootError('INSTALL_UNSAFE_PATH', 'path leads out of the root', { ...ctx, path: member });
        cur.pop();
        continue;
      }
      const next = [...cur, part].join('/');
      if (knownDirs?.has(next)) {
        cur.push(part);
        continue;
      }
      const st = lstatSync(this.hostPath(next), { throwIfNoEntry: false });
      if (st === undefined || st.isDirectory()) {
        // A missing directory will be created by the writer; a real one stays one (writers
        // never replace a directory), so the caller may remember it.
        if (st !== undefined) knownDirs?.add(next);
        cur.push(part);
        continue;
      }
      if (!st.isSymbolicLink()) throw new CrossrootError('INSTALL_UNSAFE_PATH', `${next} is not a directory`, { ...ctx, path: member });
      if (depth >= MAX_SYMLINKS) throw new CrossrootError('INSTALL_UNSAFE_PATH', 'too many levels of symbolic links', { ...ctx, path: member });
      const target = readlinkSync(this.hostPath(next));
      symlinks.push(next);
      // Inside the root, an absolute target means the root's own tree, as under chroot.
      const base = target.startsWith('/') ? [] : [...cur];
      let resolved: string;
      try {
        resolved = this.#resolveDir([...base, ...target.split('/')], ctx, member, depth + 1, knownDirs, symlinks);
      } catch (err) {
        if (err instanceof CrossrootError && err.detail === 'path leads out of the root') {
          throw new CrossrootError('INSTALL_UNSAFE_PATH', `symlink ${next} -> ${target} leads out of the root`, { ...ctx, path: member });
        }
        throw err;
      }
      cur.length = 0;
      if (resolved !== '') cur.push(...resolved.split('/'));
    }
    return cur.join('/');
  }
}
