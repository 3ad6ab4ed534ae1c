// Unpacking — data.tar members into the target root as `tar --keep-directory-symlink -x` does, in parallel.
//
// One difference from GNU tar is kept on purpose: tar 1.34 leaves some directories that
// receive symlinks with the time of extraction instead of their archive mtime (measured:
// usr/bin after xz-utils). Every such directory holds a non-directory member, so dpkg's
// unpack (rename of `.dpkg-new` files into it) changes its mtime again in any case; the
// installer gives all of those the build time. Directories that hold only directories keep
// the mtime of the last package containing them, exactly as with tar.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  createReadStream,
  fchmodSync,
  fchownSync,
  futimesSync,
  lchownSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import pLimit from 'p-limit';
import { CrossrootError, addContext, type ErrorContext } from '../errors.js';
import type { Decompressor } from '../formats/compression.js';
import { readDeb, type DebControl } from '../formats/deb/read.js';
import type { TarEntry } from '../formats/tar/entry.js';
import type { TarMember } from '../formats/tar/read.js';
import { readPrepared, type PreparedPackage } from './prepared.js';
import type { Placement, TargetRoot } from './target-root.js';

/**
 * A package whose regular files were written ahead (stagePackage): data, owner, mode and
 * mtime in place under a staging directory on the root's file system, to be renamed in.
 */
export interface StagedPackage {
  kind: 'staged';
  /** What it was read from (for messages). */
  index: string;
  control: DebControl;
  members: { entry: TarEntry; md5?: string; staged?: string }[];
}

/** A package to unpack: a .deb, its prepared form (prepared.ts), or its staged files. */
export type PackageSource = string | PreparedPackage | StagedPackage;

const NO_BODY: AsyncIterable<Buffer> = { [Symbol.asyncIterator]: () => ({ next: async () => ({ done: true, value: undefined }) }) };
let staged = 0;

/**
 * Writes a package's regular files ahead into `dir` (on the root's file system), each
 * complete with its owner, mode and mtime, so that unpacking it later is renames: the
 * writing can then overlap other work (maintainer scripts) instead of following it. The
 * member list and MD5s come along. `file` names the package in messages.
 *
 * @example
 * const s = await stagePackage(prepared, '/tmp/crossroot-staging-x', { decompressor, file: 'gcc-12_12.2.0-14_amd64.deb' });
 * await unpackAll([s], root, { decompressor, jobs: 1, semantics: 'dpkg' });
 */
export async function stagePackage(source: string | PreparedPackage, dir: string, opts: { decompressor: Decompressor; file: string }): Promise<StagedPackage> {
  const members: StagedPackage['members'] = [];
  // Staging runs beside the installer on this thread: it lets the event loop turn every
  // few milliseconds, so that a maintainer script's exit is seen (and the next one
  // started) without waiting for a whole package to be written.
  let slice = performance.now();
  const onData = async (member: SourceMember) => {
    if (performance.now() - slice > 2) {
      await new Promise((r) => setImmediate(r));
      slice = performance.now();
    }
    const { entry } = member;
    if (entry.type !== 'file') {
      members.push({ entry });
      return;
    }
    const path = join(dir, `${++staged}`);
    const fd = openSync(path, 'wx', 0o600);
    let md5: string;
    try {
      md5 = await fillFile(fd, member);
    } finally {
      closeSync(fd);
    }
    members.push({ entry, md5, staged: path });
  };
  try {
    const control =
      typeof source === 'string'
        ? await readDeb(createReadStream(source, { highWaterMark: 1 << 20 }), { file: opts.file, decompressor: opts.decompressor, onData })
        : (await readPrepared(source, { file: opts.file, decompressor: opts.decompressor, onData })).control;
    return { kind: 'staged', index: typeof source === 'string' ? source : source.index, control, members };
  } catch (err) {
    for (const m of members) if (m.staged !== undefined) rmSync(m.staged, { force: true });
    throw addContext(err, { file: opts.file });
  }
}

/** One unpacked package: its control data and its data.tar members in archive order. */
export interface UnpackedPackage {
  /** The .deb, or the index of the prepared package, it was unpacked from. */
  deb: string;
  control: DebControl;
  entries: TarEntry[];
  /** Hex MD5 of each regular file's content, by member path (dpkg's md5sums and conffile hashes). */
  md5: Map<string, string>;
  /** Host paths of the directories that hold a non-directory member (dpkg renames those into them). */
  fileParents: Set<string>;
  /** Host paths of the directories in which this package created something that was not there. */
  createdParents: Set<string>;
}

interface DirStat {
  order: number;
  entry: TarEntry;
}


/**
 * Who wrote each path last, so packages can unpack concurrently and still end as if
 * extracted one after another in order: a member is written only if no later package
 * (higher `order`) has written the same path; directory attributes are applied at the end
 * from the last package that contains the directory (tar's delayed directory attributes).
 */
class Claims {
  readonly #files = new Map<string, number>();
  readonly #locks = new Map<string, Promise<void>>();
  /** Symlinks made by this unpack: in-root path → the order of the package that made it. */
  readonly #links = new Map<string, number>();
  readonly dirs = new Map<string, DirStat>();
  /** In-root paths known to be real directories (TargetRoot.place's memo for this unpack). */
  readonly knownDirs = new Set<string>();
  /** Host directories known to exist (parents already made), so mkdir is asked once each. */
  readonly madeDirs = new Set<string>();
  constructor(
    readonly keepExistingDirs: boolean,
    /** Each package's name for messages, by order. */
    readonly names: readonly string[],
  ) {}

  /** Runs `write` for `path` unless a later package has written it; serialised per path. */
  async write(path: string, order: number, write: () => Promise<void>): Promise<boolean> {
    const prev = this.#locks.get(path) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    this.#locks.set(path, prev.then(() => mine));
    await prev;
    try {
      const owner = this.#files.get(path);
      if (owner !== undefined && owner > order) return false;
      await write();
      this.#files.set(path, order);
      return true;
    } finally {
      release();
    }
  }

  linked(inRoot: string, order: number): void {
    this.#links.set(inRoot, order);
  }

  /**
   * Refuses to go through (or keep, for a directory member) a symlink that a later package
   * made during this unpack. One after another, the earlier package's directory would have
   * been there first and the later package's symlink refused (dpkg: "trying to overwrite
   * directory"); concurrently the symlink can come first, and following it would give a tree
   * neither order gives.
   */
  checkLinks(inRoot: readonly string[], order: number, at: ErrorContext): void {
    for (const p of inRoot) {
      const by = this.#links.get(p);
      if (by !== undefined && by > order) {
        throw new CrossrootError('INSTALL_CONFLICT', `packages disagree about ${p}: ${this.names[by] ?? `package ${by + 1}`}, unpacked after this one, ships it as a symlink, this package as a directory`, at);
      }
    }
  }

  dir(path: string, order: number, entry: TarEntry): void {
    const cur = this.dirs.get(path);
    if (cur === undefined || cur.order < order) this.dirs.set(path, { order, entry });
  }

}

// The per-member file-system calls are synchronous: a package has thousands of small
// members, and a thread-pool hop per call costs more than the call (measured: unpacking the
// essential set took twice as long with the promise API).

function removeExisting(path: string, ctx: ErrorContext): void {
  const st = lstatSync(path, { throwIfNoEntry: false });
  if (st === undefined) return;
  if (st.isDirectory()) {
    throw new CrossrootError('INSTALL_CONFLICT', 'a directory is in the way of a non-directory member', ctx);
  }
  unlinkSync(path);
}

function setAttributes(path: string, e: TarEntry): void {
  lchownSync(path, e.uid, e.gid);
  // chown clears set-id bits, so the mode comes after it; symlinks have no mode of their own.
  if (e.type !== 'symlink') chmodSync(path, e.mode);
  lutimesSync(path, e.mtime, e.mtime);
}

function mknod(path: string, e: TarEntry): Promise<void> {
  const kind = e.type === 'char' ? 'c' : e.type === 'block' ? 'b' : 'p';
  const args = kind === 'p' ? [path, 'p'] : [path, kind, String(e.devmajor ?? 0), String(e.devminor ?? 0)];
  return new Promise((resolve, reject) => {
    const child = spawn('mknod', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`mknod: ${err.trim()}`))));
  });
}

let temporaries = 0;

/**
 * Writes a file member's data into an open file and gives it the member's owner, mode and
 * mtime (chown clears set-id bits: the mode after it). Returns its MD5: the member's own
 * (a prepared package's) or computed while writing.
 */
async function fillFile(fd: number, member: SourceMember): Promise<string> {
  const { entry } = member;
  const md5 = member.md5 === undefined ? createHash('md5') : undefined;
  for await (const chunk of member.body) {
    md5?.update(chunk);
    writeSync(fd, chunk);
  }
  fchownSync(fd, entry.uid, entry.gid);
  fchmodSync(fd, entry.mode);
  futimesSync(fd, entry.mtime, entry.mtime);
  return member.md5 ?? md5!.digest('hex');
}

/** Opens `path` for a new file, or undefined when something is there already. */
function openAbsent(path: string): number | undefined {
  try {
    return openSync(path, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw err;
  }
}

/** A data.tar member as unpackAll gets it: with its MD5 when known, or as a file staged ahead. */
type SourceMember = TarMember & { md5?: string; staged?: string };

/** Renames a complete file (data and attributes) over `path`, which must not be a directory. */
function renameInto(from: string, path: string, at: ErrorContext): void {
  try {
    renameSync(from, path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EISDIR' || code === 'ENOTEMPTY') throw new CrossrootError('INSTALL_CONFLICT', 'a directory is in the way of a file member', at);
    throw err;
  }
}

/**
 * Writes one member through the guard; returns where it landed, whether it is new, and a file's MD5.
 *
 * Between resolving a member's path and creating what it names, no other package may run:
 * a parent that was missing when resolved could meanwhile become another package's symlink
 * out of the root, and the open would follow it (two packages racing `x -> /elsewhere` and
 * `x/file`). node-tar closes that window by reserving the path and all its parents, because
 * its file-system calls are asynchronous; here they are synchronous, and the resolution, the
 * parents' mkdir and the creation (open, mkdir) run in one stretch without an await — which
 * also covers a parent reached through a symlink under another name, that reservations by
 * member name would miss. After that stretch every parent is a real directory, and a
 * directory is never replaced during an unpack (removeExisting, renameInto refuse it), so
 * the later steps (renames, symlinks under the per-path claim) stay where they were placed.
 */
function writeMember(
  root: TargetRoot,
  member: SourceMember,
  order: number,
  claims: Claims,
  ctx: ErrorContext,
): Promise<{ path: string; created: boolean; md5: string | undefined }> | { path: string; created: boolean; md5: undefined } {
  const { entry } = member;
  const at = { ...ctx, path: entry.path };
  const placed = root.placeSync(entry.path, at, claims.knownDirs);
  claims.checkLinks(placed.symlinks, order, at);
  const created = lstatSync(placed.path, { throwIfNoEntry: false }) === undefined;
  const md5 = placeMember(root, placed, member, order, claims, at);
  if (md5 === undefined) return { path: placed.path, created, md5 };
  return md5.then((m) => ({ path: placed.path, created, md5: m }));
}

/**
 * Places one member at `placed`; a file's MD5 is the member's own (a prepared package's) or
 * computed while writing. A staged file (stagePackages) already has its data and attributes
 * and is renamed into place. Everything up to the creation of the member's node (or its
 * temporary) happens before the first await (see writeMember); a directory is made at once
 * and returns undefined rather than a promise.
 */
function placeMember(root: TargetRoot, placed: Placement, member: SourceMember, order: number, claims: Claims, at: ErrorContext): Promise<string | undefined> | undefined {
  const { entry } = member;
  const { path } = placed;
  if (entry.type === 'dir') {
    const st = lstatSync(path, { throwIfNoEntry: false });
    if (st === undefined) mkdirSync(path, { recursive: true, mode: 0o755 });
    else if (!st.isDirectory() && !st.isSymbolicLink()) throw new CrossrootError('INSTALL_CONFLICT', 'a file is in the way of a directory member', at);
    // --keep-directory-symlink: an existing symlink stays, and keeps its own attributes
    // (unless a later package made it in this unpack: Claims.checkLinks).
    if (st?.isSymbolicLink() === true) claims.checkLinks([placed.inRoot], order, at);
    // dpkg leaves an existing directory as it is (tarobject: "directory exists").
    if (st === undefined || (st.isDirectory() && !claims.keepExistingDirs)) claims.dir(path, order, entry);
    return undefined;
  }
  const parent = dirname(path);
  if (!claims.madeDirs.has(parent)) {
    mkdirSync(parent, { recursive: true, mode: 0o755 });
    claims.madeDirs.add(parent);
  }
  if (entry.type === 'file' && member.staged !== undefined) {
    const staged = member.staged;
    return claims.write(path, order, async () => renameInto(staged, path, at)).then((wrote) => {
      if (!wrote) rmSync(staged, { force: true });
      return member.md5;
    });
  }
  if (entry.type === 'file') {
    // A path nothing occupies is written in place; an occupied one gets a fresh temporary
    // name beside it, renamed over it once complete. Both opens are O_EXCL: never through a
    // symlink, and never into a file another package created first. The attributes go on
    // the open file.
    let fd = openAbsent(path);
    const direct = fd !== undefined;
    const tmp = direct ? path : `${path}.crossroot-new-${process.pid}-${++temporaries}`;
    fd ??= openSync(tmp, 'wx', 0o600);
    return writeFile(fd, direct, tmp, path, member, order, claims, at);
  }
  return claims
    .write(path, order, async () => {
      if (entry.type === 'symlink') {
        removeExisting(path, at);
        symlinkSync(entry.linkname!, path);
        claims.linked(placed.inRoot, order);
      } else if (entry.type === 'hardlink') {
        // Resolved and linked in one stretch, as writeMember places.
        let target: Placement;
        try {
          target = root.placeSync(entry.linkname!, at);
        } catch (err) {
          if (!(err instanceof CrossrootError)) throw err;
          throw new CrossrootError(err.code, `hard link to ${entry.linkname}: ${err.detail}`, at);
        }
        const st = lstatSync(target.path, { throwIfNoEntry: false });
        if (st === undefined || st.isDirectory()) throw new CrossrootError('INSTALL_UNSAFE_PATH', `hard link target ${entry.linkname} is not a file in the root`, at);
        removeExisting(path, at);
        linkSync(target.path, path);
        return; // a hard link shares its target's attributes (and its digest, under the target's name)
      } else {
        removeExisting(path, at);
        await mknod(path, entry);
      }
      setAttributes(path, entry);
    })
    .then(() => undefined);
}

/** Fills a file opened by placeMember (in place, or a temporary renamed over `path`). */
async function writeFile(fd: number, direct: boolean, tmp: string, path: string, member: SourceMember, order: number, claims: Claims, at: ErrorContext): Promise<string> {
  let md5: string;
  try {
    md5 = await fillFile(fd, member);
  } catch (err) {
    closeSync(fd);
    if (!direct) rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  // In place, the claim only records who wrote the path last (a later package that
  // renamed its own file over this one meanwhile keeps it).
  const wrote = await claims.write(path, order, async () => {
    if (!direct) renameInto(tmp, path, at);
  });
  if (!wrote && !direct) rmSync(tmp, { force: true });
  return md5;
}

/**
 * The kernel's name limits reached through the root's own path or a temporary's suffix
 * (normaliseMember checks the member's name alone): exit 3 naming the member, as dpkg stops
 * on it, rather than ENAMETOOLONG as an internal error.
 */
async function nameLimits<T>(write: () => Promise<T> | T, at: ErrorContext): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENAMETOOLONG') throw new CrossrootError('INSTALL_NAME_TOO_LONG', 'file name too long for this file system', at);
    throw err;
  }
}

/**
 * Unpacks packages into the root, concurrently (at most `jobs` at once), with the result
 * of extracting them one after another in the given order. Returns each package's control
 * data and member list.
 *
 * @example
 * const unpacked = await unpackAll(debPaths, new TargetRoot('/tmp/root'), { decompressor: hostDecompressor(), jobs: 2 });
 */
export async function unpackAll(
  debs: readonly PackageSource[],
  root: TargetRoot,
  opts: {
    decompressor: Decompressor;
    jobs: number;
    /** `tar` (default): as GNU tar, directory attributes from the archive; `dpkg`: existing directories are left alone. */
    semantics?: 'tar' | 'dpkg';
    /** Names for messages, one per deb (a cache path means little to a user): the archive's file names. */
    names?: readonly string[];
  },
): Promise<UnpackedPackage[]> {
  const claims = new Claims(opts.semantics === 'dpkg', debs.map((d, i) => opts.names?.[i] ?? (typeof d === 'string' ? d : d.index)));
  const limit = pLimit(Math.max(1, opts.jobs));
  const results = await Promise.all(
    debs.map((deb, order) =>
      limit(async () => {
        const entries: TarEntry[] = [];
        const md5 = new Map<string, string>();
        const fileParents = new Set<string>();
        const createdParents = new Set<string>();
        const path = typeof deb === 'string' ? deb : deb.index;
        const ctx = { file: opts.names?.[order] ?? path };
        try {
          const onData = async (member: SourceMember, c: DebControl) => {
            const { entry } = member;
            entries.push(entry);
            const at = { ...ctx, member: c.memberNames.data, package: c.control.get('Package') };
            const w = await nameLimits(() => writeMember(root, member, order, claims, at), { ...at, path: entry.path });
            if (w.md5 !== undefined) md5.set(entry.path, w.md5);
            if (entry.type !== 'dir') fileParents.add(dirname(w.path));
            if (w.created && w.path !== root.root) createdParents.add(dirname(w.path));
          };
          let control: DebControl;
          if (typeof deb === 'string') {
            control = await readDeb(createReadStream(deb, { highWaterMark: 1 << 20 }), { file: ctx.file, decompressor: opts.decompressor, onData });
          } else if ('kind' in deb) {
            control = deb.control;
            for (const m of deb.members) await onData({ entry: m.entry, body: NO_BODY, md5: m.md5, staged: m.staged }, control);
          } else {
            control = (await readPrepared(deb, { file: ctx.file, decompressor: opts.decompressor, onData })).control;
          }
          return { deb: path, control, entries, md5, fileParents, createdParents };
        } catch (err) {
          throw addContext(err, ctx);
        }
      }),
    ),
  );
  // Directory attributes last, as tar applies them after the members inside.
  for (const [path, { entry }] of claims.dirs) {
    lchownSync(path, entry.uid, entry.gid);
    chmodSync(path, entry.mode);
    utimesSync(path, entry.mtime, entry.mtime);
  }
  return results;
}
