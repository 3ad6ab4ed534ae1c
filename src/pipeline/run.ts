// `crossroot run`: a command inside a built root — a directory (in place, or on a throwaway
// overlay) or a tarball (extracted into a throwaway directory) — with the same namespaces as
// the reference installer, and qemu-user through binfmt_misc for a foreign architecture.

import { spawn } from 'node:child_process';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join, resolve as resolvePath } from 'node:path';
import { CrossrootError } from '../errors.js';
import { hostArchitecture } from '../host/arch.js';
import { findProgram } from '../host/programs.js';
import { ensureCanRun, runAttached, type RootAccess } from '../install/chroot.js';
import { TailBuffer } from '../install/sandbox.js';
import { workDirectory } from './build.js';

export interface RunOptions {
  /** A root directory, or a tarball of one (.tar, .tar.gz, .tar.xz, .tar.zst). */
  root: string;
  argv: string[];
  /** Changes to a directory root go to a throwaway overlay instead of the root. */
  overlay: boolean;
  /** Share the host's network (and its /etc/resolv.conf where that leaves the root as it is). */
  network: boolean;
  /** [host path, absolute path in the root], mounted read-write. */
  binds: [string, string][];
  /** Variables set in the command's environment, after PATH, HOME and TERM. */
  env: Record<string, string>;
  warn?: (message: string) => void;
}

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * Runs `opts.argv` inside the root and resolves with its exit status. Whatever it makes for
 * the session (an extracted tarball, an overlay's upper layer) is removed when it ends.
 *
 * @example
 * const status = await runInBuiltRoot({ root: 'arm64.tar', argv: ['uname', '-m'], overlay: false, network: false, binds: [], env: {} });
 */
export async function runInBuiltRoot(opts: RunOptions): Promise<number> {
  if (process.getuid?.() !== 0) {
    throw new CrossrootError('HOST_NOT_ROOT', 'crossroot run needs root: the root\'s files belong to its own root user (run it with sudo)');
  }
  const info = await stat(opts.root).catch(() => {
    throw new CrossrootError('INSTALL_RUN_ROOT', 'no such file or directory', { file: opts.root });
  });
  for (const [host, inRoot] of opts.binds) {
    if (!inRoot.startsWith('/')) throw new CrossrootError('USAGE_BIND', `--bind ${host}:${inRoot}: the path in the root must be absolute`);
    await stat(host).catch(() => {
      throw new CrossrootError('USAGE_BIND', `--bind ${host}:${inRoot}: ${host} does not exist`);
    });
  }
  const work = await workDirectory('run');
  const session = work.path;
  try {
    let dir = resolvePath(opts.root);
    let prefix: string[] = [];
    let throwaway = true;
    if (!info.isDirectory()) {
      dir = join(session, 'root');
      await extractTarball(opts.root, dir);
    } else if (opts.overlay) {
      prefix = await overlayPrefix(dir, session);
      dir = join(session, 'merged');
    } else throwaway = false;
    // The root's own files (an overlay's lower layer: the merged tree is only mounted in the session).
    const tree = prefix.length > 0 ? resolvePath(opts.root) : dir;
    const arch = await rootArchitecture(tree);
    await ensureCanRun(arch, `running ${arch} programs in ${opts.root}`);
    const access: RootAccess = { network: opts.network, binds: opts.binds, roBinds: [] };
    if (opts.network) {
      const hostResolv = await stat('/etc/resolv.conf').catch(() => undefined);
      const rootResolv = await stat(join(tree, 'etc/resolv.conf')).catch(() => undefined);
      if (hostResolv !== undefined && (throwaway || rootResolv !== undefined)) access.roBinds!.push(['/etc/resolv.conf', '/etc/resolv.conf']);
      else opts.warn?.(`${opts.root} has no /etc/resolv.conf: host names will not resolve (with --overlay, the host's is lent to the session)`);
    }
    const env: Record<string, string> = { PATH, HOME: '/root', ...(process.env.TERM !== undefined ? { TERM: process.env.TERM } : {}), ...opts.env };
    return await runAttached(dir, opts.argv, env, access, prefix);
  } finally {
    await work.remove();
  }
}

/** The root's dpkg architecture (`var/lib/dpkg/arch`, as mmdebstrap and crossroot write it), else the host's. */
async function rootArchitecture(dir: string): Promise<string> {
  const text = await readFile(join(dir, 'var/lib/dpkg/arch'), 'utf8').catch(() => '');
  return text.split('\n').find((l) => l.trim() !== '')?.trim() ?? hostArchitecture();
}

/** Extracts a root tarball as it was written: numeric owners, modes, xattrs, device nodes. */
async function extractTarball(tarball: string, dir: string): Promise<void> {
  const tar = findProgram('tar');
  if (tar === undefined) throw new CrossrootError('HOST_MISSING_TAR', 'GNU tar is needed: apt-get install tar');
  await mkdir(dir, { mode: 0o755 });
  const args = ['--extract', '--file', resolvePath(tarball), '--directory', dir, '--numeric-owner', '--same-owner', '--preserve-permissions', '--xattrs', '--xattrs-include=*'];
  const stderr = new TailBuffer(4096);
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(tar, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { PATH, LC_ALL: 'C.UTF-8' } });
    child.stderr.on('data', (c: Buffer) => stderr.push(c));
    child.on('error', reject);
    child.on('close', (c) => resolve(c ?? 1));
  });
  if (code !== 0) {
    throw new CrossrootError('INSTALL_RUN_ROOT', `not a root directory or a tarball GNU tar can extract (tar exit ${code}): ${stderr.text().trim().split('\n').slice(-3).join(' / ')}`, { file: tarball });
  }
}

/**
 * `unshare` with a private mount namespace that mounts an overlay of `lower` (read-only) and a
 * new upper layer in `session`, then runs bwrap on it: the mount vanishes with the namespace.
 */
async function overlayPrefix(lower: string, session: string): Promise<string[]> {
  const unshare = findProgram('unshare');
  if (unshare === undefined) throw new CrossrootError('HOST_MISSING_UNSHARE', 'unshare is needed for --overlay: apt-get install util-linux');
  if (/[,:\\]/.test(lower)) throw new CrossrootError('USAGE_OVERLAY', `--overlay cannot stack on a path with ',', ':' or '\\': ${lower}`);
  for (const d of ['upper', 'work', 'merged']) await mkdir(join(session, d));
  const script = 'mount -t overlay crossroot-run -o "lowerdir=$1,upperdir=$2,workdir=$3" "$4" || exit 125; shift 4; exec "$@"';
  return [unshare, '--mount', '--propagation', 'private', '--', '/bin/sh', '-c', script, 'crossroot-overlay', lower, join(session, 'upper'), join(session, 'work'), join(session, 'merged')];
}
