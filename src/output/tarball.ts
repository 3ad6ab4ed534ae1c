// The root tarball — mmdebstrap 1.3.5's bytes: its hand-made ./dev headers, then GNU tar's
// pax stream of the root (5766-5830), optionally through a compressor (6090-6150).

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { removeOnInterrupt } from '../host/interrupt.js';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CrossrootError } from '../errors.js';
import { temporaryNameFor } from '../host/atomic.js';
import { nearlyFull, noSpace, saysNoSpace } from '../host/no-space.js';
import { findProgram } from '../host/programs.js';
import { compressorEnvironment, compressorFor, compressorProgram } from './compressor.js';
import { devTarHeaders, MAX_HEADER_MTIME, type DevHeaderMagic } from './dev-entries.js';
import { toolCommand, sandboxDirectory } from '../install/sandbox.js';
import { SCRIPT_PATH } from '../install/maintscript.js';

/** Options of `writeRootTarball`. */
export interface RootTarballOptions {
  /** Every mtime newer than this is clamped to it; also the mtime of the ./dev headers. */
  sourceDateEpoch: number;
  /** Write the 15 synthesised ./dev entries first (mmdebstrap's default; false = `--skip=output/dev`). */
  devices?: boolean;
  /** Their header format (the suite's mmdebstrap's; default 1.3.5's GNU headers). */
  devHeaders?: DevHeaderMagic;
  /** tar's excludes and --sparse (the suite's mmdebstrap's; default 1.3.5's). */
  tarStyle?: TarStyle;
  /**
   * The tree whose GNU tar (and compressor) write the tarball, run in the sandbox with it as
   * `/` and the root bound read-only: the target suite's own tar, whose headers differ between
   * versions (tar 1.35 writes a non-device member's devmajor/devminor as NULs, 1.34 as
   * `0000000`). A compressor the tree lacks is the host's. Default (or `/`): the host's programs.
   */
  toolsRoot?: string;
  /** Write plain tar whatever TARGET's name (`--format tar` with a name no tarball's). */
  plain?: boolean;
  /**
   * Instead of writing the tar stream, feed it to an image tool that writes TARGET itself
   * (tar2sqfs, genext2fs: mmdebstrap 6086-6104), with tar's xattr options for it.
   */
  image?: ImageWriter;
}

/** An image tool reading a tar stream on stdin and writing the file named in its arguments. */
export interface ImageWriter {
  readonly name: string;
  /** Its arguments, given the file to write. */
  args(file: string): string[];
  /** The Debian package that ships it, for the HOST_ error's fix command. */
  readonly debianPackage: string;
  /** tar's xattr options for it (mmdebstrap 5817-5831): `--xattrs` and more, or none. */
  readonly tarXattrs: readonly string[];
}

/** A program of the tools tree, started in the sandbox; `undefined` when the tree lacks it. */
function toolsProgram(toolsRoot: string, name: string, argv: readonly string[], root: string, env: NodeJS.ProcessEnv): { program: string; args: string[] } | undefined {
  if (!['usr/bin', 'bin'].some((d) => existsSync(join(toolsRoot, d, name)))) return undefined;
  return toolCommand([name, ...argv], {
    toolsRoot,
    readOnly: [root],
    writable: [],
    cwd: '/',
    env: { ...(env as Record<string, string>), PATH: SCRIPT_PATH },
  });
}

/** What differs in mmdebstrap's tar options between its versions (resolve/mmdebstrap-layout.ts). */
export interface TarStyle {
  /** `--exclude=` patterns, in order; `./dev` must be among them. */
  readonly excludes: readonly string[];
  /** `--sparse` (mmdebstrap 1.6). */
  readonly sparse: boolean;
}

const MMDEBSTRAP_1_3_5_TAR: TarStyle = { excludes: ['./dev'], sparse: false };

/**
 * GNU tar's arguments, exactly mmdebstrap's `@taropts` for format `tar` in root and chrootless
 * mode (5802-5830, 5980-5996), plus `--file=-` (mmdebstrap relies on Debian's default archive
 * being stdout; saying so keeps a `TAPE` variable from redirecting it — the bytes are the same).
 *
 * `--exclude=./dev` is always there, with or without the ./dev headers: the root's own /dev
 * (device nodes or nothing) never reaches the tarball.
 */
export function gnuTarArguments(root: string, sourceDateEpoch: number, rootOwnedByRoot: boolean, style: TarStyle = MMDEBSTRAP_1_3_5_TAR, xattrs: readonly string[] = ['--xattrs']): string[] {
  return [
    '--sort=name',
    `--mtime=@${sourceDateEpoch}`,
    '--clamp-mtime',
    '--numeric-owner',
    '--one-file-system',
    ...(style.sparse ? ['--sparse'] : []),
    '--format=pax',
    '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime',
    '-c',
    ...style.excludes.map((e) => `--exclude=${e}`),
    ...xattrs,
    // mmdebstrap: a root not owned by uid 0 was built without (faked) root rights, so every
    // member is recorded as root's.
    ...(rootOwnedByRoot ? [] : ['--owner=0', '--group=0', '--numeric-owner']),
    '--file=-',
    '-C',
    root,
    '.',
  ];
}

/**
 * The environment GNU tar runs in: PATH and mmdebstrap's `LC_ALL=LANG=LANGUAGE=C.UTF-8`
 * (4415-4422). A non-ASCII member name gets a pax `path` record, converted from the locale's
 * charset to UTF-8; `C` and `C.UTF-8` give the same bytes (measured, tar 1.34), a legacy 8-bit
 * locale would not. Left out on purpose: `TAR_OPTIONS` (tar prepends it to the command line —
 * `--owner=N` there changes every header), `TAPE`, `POSIXLY_CORRECT`.
 */
function tarEnvironment(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C.UTF-8', LANG: 'C.UTF-8', LANGUAGE: 'C.UTF-8' };
}

let gnuTarChecked: string | undefined;

/** The path of GNU tar ≥ 1.29 (`--sort` came in 1.28, `--clamp-mtime` in 1.29). */
function gnuTar(): string {
  const tar = findProgram('tar');
  if (tar === undefined) throw new CrossrootError('HOST_MISSING_TAR', 'GNU tar is needed to write a tarball: apt-get install tar');
  if (gnuTarChecked === tar) return tar;
  let version = '';
  try {
    version = execFileSync(tar, ['--version'], { env: tarEnvironment(), encoding: 'utf8' }).split('\n')[0] ?? '';
  } catch {
    // reported below
  }
  const m = /^tar \(GNU tar\) (\d+)\.(\d+)/.exec(version);
  if (m === null || Number(m[1]) * 1000 + Number(m[2]) < 1029) {
    throw new CrossrootError('HOST_GNU_TAR', `GNU tar 1.29 or later is needed, ${tar} is "${version}": apt-get install tar`);
  }
  gnuTarChecked = tar;
  return tar;
}

/** A child's exit, as a promise that rejects with the tail of its stderr. */
function exitOf(child: ChildProcess, what: string, target: string): Promise<void> {
  const stderr: Buffer[] = [];
  child.stderr?.on('data', (c: Buffer) => stderr.push(c));
  return new Promise((resolve, reject) => {
    child.once('error', (err) =>
      reject(new CrossrootError('INSTALL_TARBALL_WRITE', `cannot run ${what}: ${err.message}`, { file: target })),
    );
    child.once('close', (code, signal) => {
      if (code === 0) return resolve();
      const tail = Buffer.concat(stderr).toString().trim().split('\n').slice(-3).join(' / ');
      const how = signal !== null ? `killed by ${signal}` : `exit ${code}`;
      reject(new CrossrootError('INSTALL_TARBALL_WRITE', `${what} failed (${how})${tail ? `: ${tail}` : ''}`, { file: target }));
    });
  });
}

/**
 * Writes `root` as a tarball to `target`, byte-identical to mmdebstrap's `--format=tar` output
 * of the same root with the same SOURCE_DATE_EPOCH: the ./dev header block, then GNU tar's
 * stream with no end-of-archive in between (mmdebstrap prints the headers first "because there
 * is no way to prevent tar from writing NULL entries at the end"), compressed by TARGET's suffix.
 *
 * Streams end to end: tar → the file, or tar → this process → the compressor → the file.
 * The bytes land in a temporary file beside `target`, which is renamed over it only after
 * every process exited 0 and the data was synced; on any failure the temporary is removed
 * and an existing `target` is left as it was.
 *
 * @example
 * await writeRootTarball('/tmp/root', 'bookworm.tar.zst', { sourceDateEpoch: 1700000000 });
 */
export async function writeRootTarball(root: string, target: string, opts: RootTarballOptions): Promise<void> {
  const sde = opts.sourceDateEpoch;
  if (!Number.isSafeInteger(sde) || sde < 0 || sde > MAX_HEADER_MTIME) {
    throw new CrossrootError('USAGE_SOURCE_DATE_EPOCH', `SOURCE_DATE_EPOCH ${sde} is not a whole number of seconds in 0..${MAX_HEADER_MTIME}`);
  }
  const compressor = opts.plain === true || opts.image !== undefined ? undefined : compressorFor(target);
  const tools = opts.toolsRoot === undefined || resolve(opts.toolsRoot) === '/' ? undefined : sandboxDirectory(opts.toolsRoot, 'the tools root');
  let rootStat;
  try {
    rootStat = await stat(root);
  } catch (err) {
    throw new CrossrootError('INSTALL_TARBALL_ROOT', `cannot read the root: ${(err as NodeJS.ErrnoException).code}`, { file: root });
  }
  if (!rootStat.isDirectory()) throw new CrossrootError('INSTALL_TARBALL_ROOT', 'the root is not a directory', { file: root });
  const header = opts.devices === false ? Buffer.alloc(0) : devTarHeaders(sde, opts.devHeaders);
  const canonicalRoot = tools === undefined ? root : sandboxDirectory(root, 'the root');
  const tarArgs = gnuTarArguments(canonicalRoot, sde, rootStat.uid === 0, opts.tarStyle, opts.image?.tarXattrs);
  let tarCommand = tools === undefined ? undefined : toolsProgram(tools, 'tar', tarArgs, canonicalRoot, tarEnvironment());
  if (tools !== undefined && tarCommand === undefined) {
    throw new CrossrootError('INSTALL_TOOLS_ROOT', 'the tools root has no tar (package tar)', { path: tools });
  }
  tarCommand ??= { program: gnuTar(), args: tarArgs };
  const image = opts.image;
  const imageProgram = image === undefined ? undefined : findProgram(image.name);
  if (image !== undefined && imageProgram === undefined) {
    throw new CrossrootError(`HOST_MISSING_${image.name.toUpperCase()}`, `${image.name} is needed to write this image: apt-get install ${image.debianPackage}`);
  }
  const compCommand =
    compressor === undefined
      ? undefined
      : ((tools === undefined ? undefined : toolsProgram(tools, compressor.name, compressor.args, canonicalRoot, compressorEnvironment())) ?? {
          program: compressorProgram(compressor),
          args: [...compressor.args],
        });

  const tmp = temporaryNameFor(target);
  const forget = removeOnInterrupt(tmp);
  let fh: FileHandle | undefined;
  const children: ChildProcess[] = [];
  const stopped = new Set<ChildProcess>();
  const stopAll = () => {
    for (const c of children) {
      if (c.exitCode === null && c.signalCode === null) {
        stopped.add(c);
        c.kill('SIGTERM');
      }
    }
  };
  try {
    fh = await open(tmp, 'wx', 0o644);
    await fh.chmod(0o644); // mmdebstrap's umask 022, whatever ours is
    let comp: ChildProcess | undefined;
    let copy: Promise<void>;
    let tar: ChildProcess;
    if (image !== undefined) {
      // The image tool writes the temporary file itself (by name); its stdout goes nowhere,
      // as mmdebstrap's (6120).
      tar = spawn(tarCommand.program, tarCommand.args, { stdio: ['ignore', 'pipe', 'pipe'], env: tarEnvironment() });
      children.push(tar);
      const archive = new PassThrough({ highWaterMark: 1 << 20 });
      if (header.length > 0) archive.write(header);
      tar.stdout!.pipe(archive);
      // SOURCE_DATE_EPOCH: both tools take their timestamps from it (tar2sqfs's superblock
      // modification time, genext2fs's superblock and inode times), as under mmdebstrap.
      comp = spawn(imageProgram!, image.args(tmp), {
        stdio: ['pipe', 'ignore', 'pipe'],
        env: { ...compressorEnvironment(), SOURCE_DATE_EPOCH: String(sde) },
      });
      children.push(comp);
      copy = pipeline(archive, comp.stdin!);
    } else if (compressor === undefined) {
      // Headers first, then tar writes straight into the file after them: the child's stdout
      // shares this descriptor's offset, and nothing passes through this process.
      if (header.length > 0) await fh.write(header);
      tar = spawn(tarCommand.program, tarCommand.args, { stdio: ['ignore', fh.fd, 'pipe'], env: tarEnvironment() });
      children.push(tar);
      copy = Promise.resolve();
    } else {
      tar = spawn(tarCommand.program, tarCommand.args, { stdio: ['ignore', 'pipe', 'pipe'], env: tarEnvironment() });
      children.push(tar);
      // Headers first, then tar's stream, as one byte stream into the compressor, which writes
      // the file itself. tar's stdout is piped at once: Node resumes (and so discards) a
      // child's unread stdout when the child exits, and a small root's tar can exit before
      // this process gets round to reading.
      const archive = new PassThrough({ highWaterMark: 1 << 20 });
      if (header.length > 0) archive.write(header);
      tar.stdout!.pipe(archive);
      comp = spawn(compCommand!.program, compCommand!.args, {
        stdio: ['pipe', fh.fd, 'pipe'],
        env: compressorEnvironment(),
      });
      children.push(comp);
      copy = pipeline(archive, comp.stdin!);
    }
    const exits = [exitOf(tar, 'tar', target)];
    if (comp !== undefined) exits.push(exitOf(comp, image?.name ?? compressor!.name, target));
    for (const e of exits) e.catch(() => undefined); // judged below, after all have ended
    const copyError = await copy.then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    if (copyError !== undefined) stopAll();
    const [tarExit, compExit] = await Promise.allSettled(exits);
    // A process that died of the SIGTERM we sent explains nothing.
    const failure = (r: PromiseSettledResult<void> | undefined, c: ChildProcess | undefined) =>
      r?.status === 'rejected' && !(c !== undefined && stopped.has(c) && c.signalCode === 'SIGTERM') ? r.reason : undefined;
    const copyFailure =
      copyError === undefined
        ? undefined
        : new CrossrootError('INSTALL_TARBALL_WRITE', `cannot write: ${(copyError as NodeJS.ErrnoException).code ?? copyError.message}`, {
            file: target,
          });
    // The first cause wins. When the copy broke, the cause is downstream — the compressor's own
    // failure or the write error; tar's SIGPIPE/SIGTERM is only the consequence. Otherwise tar's
    // failure comes first: the compressor then only saw a truncated stream.
    const cause =
      copyFailure !== undefined ? (failure(compExit, comp) ?? copyFailure) : (failure(tarExit, tar) ?? failure(compExit, comp));
    if (cause !== undefined) throw cause;
    await fh.sync();
    await fh.close();
    fh = undefined;
    await rename(tmp, target);
    forget();
  } catch (err) {
    stopAll();
    await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? once(c, 'exit') : undefined)));
    await fh?.close().catch(() => undefined);
    // Asked before the temporary goes (which frees the space): tar says only "Wrote only 2560
    // of 10240 bytes", xz "Write error: No space left on device".
    const full = saysNoSpace(err) || (await nearlyFull(dirname(tmp)));
    await rm(tmp, { force: true });
    forget();
    if (full) throw noSpace(dirname(resolve(target)), `writing ${target}`, `nothing was written there (${basename(target)} is as it was): free space, or write the root elsewhere`, err);
    if (err instanceof CrossrootError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new CrossrootError('INSTALL_TARBALL_WRITE', `cannot write: ${code ?? (err as Error).message}`, { file: target });
  }
}
