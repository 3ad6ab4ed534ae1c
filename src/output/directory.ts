// The root as a directory — mmdebstrap's `--format=directory` (5626-5680): the built root moved
// into TARGET, plus, on request, the /dev nodes mmdebstrap's root mode creates with mknod (2225-2275).

import { execFile } from 'node:child_process';
import { chmod, lstat, mkdir, readdir, readlink, rename, rm, rmdir, symlink } from 'node:fs/promises';
import { removeOnInterrupt } from '../host/interrupt.js';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CrossrootError } from '../errors.js';
import { temporaryNameFor } from '../host/atomic.js';
import { findProgram } from '../host/programs.js';
import { DEV_ENTRIES } from './dev-entries.js';

const run = promisify(execFile);

/** Options of `writeRootDirectory`. */
export interface RootDirectoryOptions {
  /**
   * Create mmdebstrap's 15 /dev entries (device nodes with mknod, symlinks, directories) in the
   * root before moving it, as mmdebstrap's root mode does. Needs CAP_MKNOD (root). Without it a
   * directory has no device nodes at all.
   */
  devices?: boolean;
}

/**
 * Moves the built `root` to `targetDir`.
 *
 * What a directory loses relative to a tarball, as mmdebstrap's man page says of its own
 * directory format ("contents will have wrong ownership information and special device files
 * will be missing" outside root mode):
 * - **device nodes**: a tarball always carries the 15 ./dev entries as hand-made headers; a
 *   directory has them only with `devices: true` (root only), and a non-root build's files
 *   keep the building user's ownership where a tarball records uid/gid 0;
 * - **clamped mtimes**: files touched during the build keep their real mtimes; only the
 *   tarball clamps them to SOURCE_DATE_EPOCH (`--clamp-mtime`), so two directory outputs are
 *   not bit-identical the way two tarballs are.
 *
 * `targetDir` must not exist, or be an empty directory, or hold only an empty `lost+found`
 * (mmdebstrap's rule, Debian bug #833525). The move is a rename(2) when both are on one file
 * system (atomic: an empty target is replaced whole); otherwise `cp -a` (hard links, xattrs,
 * modes, owners, mtimes) to a temporary name beside `targetDir`, renamed last. A target with a
 * `lost+found` is typically a mount point and cannot be renamed over: the root is copied into
 * it in place, which is not atomic. `root` is gone afterwards.
 *
 * @example
 * await writeRootDirectory('/var/tmp/build.x1', '/srv/chroots/bookworm', { devices: true });
 */
export async function writeRootDirectory(root: string, targetDir: string, opts: RootDirectoryOptions = {}): Promise<void> {
  const rootStat = await lstat(root).catch(() => undefined);
  if (rootStat === undefined || !rootStat.isDirectory()) {
    throw new CrossrootError('INSTALL_DIRECTORY_ROOT', 'the root is not a directory', { file: root });
  }
  const target = await targetState(targetDir);
  if (opts.devices === true) await createDevices(root);

  if (target === 'has-lost+found') {
    await copyTree(root, targetDir, true);
    await rm(root, { recursive: true, force: true });
    return;
  }
  try {
    await rename(root, targetDir);
    return;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EXDEV') {
      throw new CrossrootError('INSTALL_DIRECTORY_WRITE', `cannot move the root into place: ${code}`, { file: targetDir });
    }
  }
  // Another file system: stage a copy beside the target, then rename it over.
  const tmp = temporaryNameFor(targetDir);
  const forget = removeOnInterrupt(tmp);
  try {
    await copyTree(root, tmp, false);
    if (target === 'empty') await rmdir(targetDir);
    await rename(tmp, targetDir);
    forget();
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    forget();
    if (err instanceof CrossrootError) throw err;
    throw new CrossrootError('INSTALL_DIRECTORY_WRITE', `cannot move the root into place: ${(err as NodeJS.ErrnoException).code}`, {
      file: targetDir,
    });
  }
  await rm(root, { recursive: true, force: true });
}

async function targetState(targetDir: string): Promise<'absent' | 'empty' | 'has-lost+found'> {
  const st = await lstat(targetDir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (st === undefined) return 'absent';
  if (!st.isDirectory()) throw new CrossrootError('USAGE_TARGET_NOT_DIRECTORY', 'exists and is not a directory', { file: targetDir });
  const entries = await readdir(targetDir);
  if (entries.length === 0) return 'empty';
  if (entries.length === 1 && entries[0] === 'lost+found') {
    const lf = join(targetDir, 'lost+found');
    if ((await lstat(lf)).isDirectory() && (await readdir(lf)).length === 0) return 'has-lost+found';
    throw new CrossrootError('USAGE_TARGET_NOT_EMPTY', 'contains a non-empty lost+found directory', { file: targetDir });
  }
  throw new CrossrootError('USAGE_TARGET_NOT_EMPTY', 'is not empty', { file: targetDir });
}

/** `cp -a`: the one copier that keeps hard links, xattrs, device nodes and all metadata. */
async function copyTree(from: string, to: string, intoExisting: boolean): Promise<void> {
  const cp = findProgram('cp');
  if (cp === undefined) throw new CrossrootError('HOST_MISSING_CP', 'cp is needed to copy the root: apt-get install coreutils');
  const args = intoExisting ? ['-a', '--', `${from}/.`, `${to}/`] : ['-a', '--no-target-directory', '--', from, to];
  try {
    await run(cp, args);
  } catch (err) {
    const why = String((err as { stderr?: string }).stderr ?? (err as Error).message).trim().split('\n').pop();
    throw new CrossrootError('INSTALL_DIRECTORY_WRITE', `cp -a failed: ${why}`, { file: to });
  }
}

/**
 * mmdebstrap's /dev entries, made the way it makes them: `mknod` for devices, `symlink`, and
 * `make_path` for directories, each (but the symlinks) chmod-ed to the table's mode. An entry
 * that already exists is accepted only if it is the same thing.
 */
async function createDevices(root: string): Promise<void> {
  const dev = join(root, 'dev');
  const devStat = await lstat(dev).catch(() => undefined);
  if (devStat !== undefined && !devStat.isDirectory()) {
    // A symlink here would point the mknods out of the root.
    throw new CrossrootError('INSTALL_UNSAFE_PATH', './dev exists and is not a directory', { file: dev });
  }
  if (process.geteuid?.() !== 0) {
    throw new CrossrootError(
      'HOST_MKNOD',
      'device nodes in a directory output need root (CAP_MKNOD): run as root, or write a tarball, which carries them as headers',
    );
  }
  const mknod = findProgram('mknod');
  if (mknod === undefined) throw new CrossrootError('HOST_MISSING_MKNOD', 'mknod is needed for device nodes: apt-get install coreutils');
  for (const e of DEV_ENTRIES) {
    const path = join(root, e.name);
    const existing = await lstat(path).catch(() => undefined);
    if (e.type === 'directory') {
      if (existing === undefined) await mkdir(path, { recursive: true });
      else if (!existing.isDirectory()) throw new CrossrootError('INSTALL_DEV_ENTRY', 'exists but is not a directory', { path: e.name });
    } else if (e.type === 'symlink') {
      if (existing === undefined) await symlink(e.link!, path);
      else if (!existing.isSymbolicLink() || (await readlink(path)) !== e.link) {
        throw new CrossrootError('INSTALL_DEV_ENTRY', `exists but is not a symlink to ${e.link}`, { path: e.name });
      }
      continue; // chmod cannot work on symlinks
    } else if (existing === undefined) {
      await run(mknod, [path, 'c', String(e.major), String(e.minor)]);
    } else if (!existing.isCharacterDevice() || existing.rdev !== makedev(e.major!, e.minor!)) {
      throw new CrossrootError('INSTALL_DEV_ENTRY', `exists but is not character device ${e.major},${e.minor}`, { path: e.name });
    }
    await chmod(path, e.mode);
  }
}

/** Linux's dev_t encoding (glibc `makedev`). */
function makedev(major: number, minor: number): number {
  return ((major & 0xfff) << 8) | (minor & 0xff) | ((minor & ~0xff) << 12);
}
