// crossroot's own files in a target root — written, read and removed through the root guard (STYLE rule 7).
//
// Packages have unpacked (and scripts have run) before crossroot writes apt's state or
// policy-rc.d: any name in the root may by then be a symlink to a host path. Every name here
// is resolved by TargetRoot.place (directory symlinks followed inside the root only) and
// the last component is never followed: a symlink there is refused, files are staged beside
// it and renamed over it.

import { constants } from 'node:fs';
import { copyFile, link, lstat, mkdir, open, readdir, readlink, rename, rm, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CrossrootError, type ErrorContext } from '../errors.js';
import { temporaryNameFor } from '../host/atomic.js';
import type { TargetRoot } from './target-root.js';

function failure(err: unknown, what: string, path: string): CrossrootError {
  if (err instanceof CrossrootError) return err;
  const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  return new CrossrootError('INSTALL_ROOT_FILE', `cannot ${what}: ${code}`, { path });
}

/**
 * A symlink where crossroot keeps a file of its own: a package put it there, and it may
 * point at the host. The error names the package when the dpkg database lists the file.
 */
async function symlinkRefused(root: TargetRoot, name: string, path: string, ctx: ErrorContext): Promise<CrossrootError> {
  const target = await readlink(path).catch(() => '?');
  const owners = await shippedBy(root, name);
  return new CrossrootError('INSTALL_UNSAFE_PATH', `is a symlink to ${JSON.stringify(target)}; crossroot writes this file itself and does not follow or replace it`, {
    ...ctx,
    ...(owners.length > 0 ? { package: owners.join(', ') } : {}),
  });
}

/** The packages whose `info/*.list` names `/name` (for messages; unreadable lists are skipped). */
async function shippedBy(root: TargetRoot, name: string): Promise<string[]> {
  const info = await root.place('var/lib/dpkg/info/x', {}).then(
    (p) => dirname(p.path),
    () => undefined,
  );
  if (info === undefined) return [];
  const st = await lstat(info).catch(() => undefined);
  if (st === undefined || !st.isDirectory()) return [];
  const owners: string[] = [];
  for (const list of (await readdir(info)).filter((f) => f.endsWith('.list')).sort()) {
    const fh = await open(`${info}/${list}`, constants.O_RDONLY | constants.O_NOFOLLOW).catch(() => undefined);
    if (fh === undefined) continue;
    try {
      if ((await fh.readFile('utf8')).split('\n').includes(`/${name}`)) owners.push(list.slice(0, -'.list'.length));
    } finally {
      await fh.close();
    }
  }
  return owners;
}

/** Resolves `name` and creates its missing parent directories (0755); returns the host path. */
async function placeWithParents(root: TargetRoot, name: string, ctx: ErrorContext): Promise<string> {
  const { path } = await root.place(name, ctx);
  // The existing part of the parent is resolved to real directories inside the root; what
  // is missing is created fresh, so a recursive mkdir cannot follow anything.
  await mkdir(dirname(path), { recursive: true, mode: 0o755 });
  return path;
}

/**
 * Writes `data` as the root's file `name` (mode `mode`): staged beside it with O_EXCL and
 * renamed over it. A symlink at `name` is refused (INSTALL_UNSAFE_PATH), never written through.
 *
 * @example
 * await writeRootFile(root, 'usr/sbin/policy-rc.d', '#!/bin/sh\nexit 101\n', 0o755);
 */
export async function writeRootFile(root: TargetRoot, name: string, data: string | Buffer, mode: number): Promise<void> {
  const ctx = { path: name };
  let tmp: string | undefined;
  try {
    const path = await placeWithParents(root, name, ctx);
    const st = await lstat(path).catch(() => undefined);
    if (st?.isDirectory()) throw new CrossrootError('INSTALL_ROOT_FILE', 'is a directory in the root', ctx);
    if (st?.isSymbolicLink()) throw await symlinkRefused(root, name, path, ctx);
    tmp = temporaryNameFor(path);
    const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
    try {
      await fh.writeFile(data);
      await fh.chmod(mode);
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
    tmp = undefined;
  } catch (err) {
    if (tmp !== undefined) await rm(tmp, { force: true });
    throw failure(err, 'write it', name);
  }
}

/**
 * The root's regular file `name` as text, or `undefined` if there is none. A symlink (or
 * anything but a regular file) there is refused: its target may be a host file.
 *
 * @example
 * const old = (await readRootFile(root, 'var/lib/apt/extended_states')) ?? '';
 */
export async function readRootFile(root: TargetRoot, name: string): Promise<string | undefined> {
  const ctx = { path: name };
  try {
    const { path } = await root.place(name, ctx);
    const st = await lstat(path).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (st === undefined) return undefined;
    if (st.isSymbolicLink()) throw await symlinkRefused(root, name, path, ctx);
    if (!st.isFile()) throw new CrossrootError('INSTALL_UNSAFE_PATH', 'is not a regular file; crossroot writes this file itself', ctx);
    const fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      return await fh.readFile('utf8');
    } finally {
      await fh.close();
    }
  } catch (err) {
    throw failure(err, 'read it', name);
  }
}

/** Removes the root's file `name` (a symlink there itself, not its target), if present; never a directory. */
export async function removeRootFile(root: TargetRoot, name: string): Promise<void> {
  const ctx = { path: name };
  try {
    const { path } = await root.place(name, ctx);
    const st = await lstat(path).catch(() => undefined);
    if (st === undefined || st.isDirectory()) return;
    await unlink(path);
  } catch (err) {
    throw failure(err, 'remove it', name);
  }
}

/** `mkdir -p` of the root's directory `name` (0755 for what it creates), symlinks followed inside the root only. */
export async function makeRootDirectory(root: TargetRoot, name: string): Promise<string> {
  const ctx = { path: name };
  try {
    // A name below it has every component of `name` resolved as a directory, symlinks included.
    const { path } = await root.place(`${name}/x`, ctx);
    await mkdir(dirname(path), { recursive: true, mode: 0o755 });
    return dirname(path);
  } catch (err) {
    throw failure(err, 'make the directory', name);
  }
}

/**
 * Puts the host file `from` into the root as `name`: a hard link where the file systems
 * allow, else a copy. `name` must not exist yet (O_EXCL semantics: nothing is followed).
 */
export async function linkIntoRoot(root: TargetRoot, from: string, name: string): Promise<void> {
  const ctx = { path: name };
  try {
    const path = await placeWithParents(root, name, ctx);
    await link(from, path).catch(async (err: NodeJS.ErrnoException) => {
      if (err.code === 'EEXIST') throw err;
      await copyFile(from, path, constants.COPYFILE_EXCL);
    });
  } catch (err) {
    throw failure(err, 'put it into the root', name);
  }
}
