// Running inside a root — real dpkg in the chroot for the reference build, and `crossroot run`.

import { spawn } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { CrossrootError } from '../errors.js';
import { readFile } from 'node:fs/promises';
import { hostArchitecture } from '../host/arch.js';
import { ARCHITECTURES } from '../host/architectures.js';
import { foregroundChild } from '../host/interrupt.js';
import { findProgram } from '../host/programs.js';
import { spawnWithPrivateBinfmt, type PrivateBinfmt } from './private-binfmt.js';
import { SANDBOX_CAPABILITIES } from './sandbox.js';

/**
 * Whether binaries of `arch` run here (natively or through the host's binfmt_misc/qemu-user),
 * asked the way arch-test does: false when arch-test says no, does not know the architecture
 * (bookworm's knows no loong64), or is not installed.
 */
export async function hostCanRun(arch: string): Promise<boolean> {
  if (arch === hostArchitecture()) return true;
  const archTest = findProgram('arch-test');
  if (archTest === undefined) return false;
  return new Promise<boolean>((resolve) => {
    const child = spawn(archTest, [arch], { stdio: 'ignore' });
    child.on('error', () => resolve(false));
    child.on('close', (code) => resolve(code === 0));
  });
}

/**
 * What to do when the host's binfmt_misc does not run `arch`: the entry's state decides
 * (absent: install; disabled: enable that one entry; enabled: its qemu is too old for the
 * target). armel and armhf share qemu-arm: the entry is named, never switched here.
 */
export async function emulationFix(arch: string): Promise<string> {
  const qemu = ARCHITECTURES.get(arch)?.qemu;
  if (qemu === undefined) return 'no qemu-user is known for it';
  const entry = `/proc/sys/fs/binfmt_misc/qemu-${qemu}`;
  const sharers = [...ARCHITECTURES.values()].filter((a) => a.qemu === qemu && a.debian !== arch).map((a) => a.debian);
  const shared = sharers.length === 0 ? '' : ` (the entry ${arch} shares with ${sharers.join(', ')})`;
  const text = await readFile(entry, 'utf8').catch(() => undefined);
  if (text === undefined) {
    const mounted = await readFile('/proc/sys/fs/binfmt_misc/status', 'utf8').then(() => true, () => false);
    return `binfmt_misc has no ${entry}${shared}. Fix, as root:\n` +
      '  apt-get install arch-test qemu-user-static binfmt-support\n' +
      (mounted ? '' : '  mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc\n') +
      `  update-binfmts --enable qemu-${qemu}`;
  }
  if (!text.startsWith('enabled')) return `binfmt_misc ${entry}${shared} is disabled. Fix, as root: update-binfmts --enable qemu-${qemu}`;
  const interpreter = /^interpreter (.*)$/m.exec(text)?.[1] ?? 'its interpreter';
  return `binfmt_misc ${entry}${shared} is enabled, but its qemu (${interpreter}) cannot run ${arch}'s binaries: it is too old for them. ` +
    'Installing qemu-user-static again does not help; `crossroot verify` takes a newer qemu from the suite\'s own archive by itself (as root, on Linux 6.7 or later). ' +
    'Else install a newer qemu-user-static on the host (trixie\'s qemu-user and qemu-user-binfmt, 1:9.1 or later)';
}

/**
 * Whether binaries of `arch` can run here (natively or through binfmt_misc/qemu-user),
 * asked the way arch-test does; exit-4 error with the fix that fits the host's state when not.
 */
export async function ensureCanRun(arch: string, purpose = 'the reference build'): Promise<void> {
  if (arch === hostArchitecture()) return;
  if (findProgram('arch-test') === undefined) {
    throw new CrossrootError('HOST_MISSING_ARCH_TEST', 'arch-test is needed to check for qemu-user: apt-get install arch-test qemu-user-static binfmt-support');
  }
  if (await hostCanRun(arch)) return;
  throw new CrossrootError(
    'HOST_NO_EMULATION',
    `${arch} binaries cannot run on this ${hostArchitecture()} host (needed for ${purpose}): \`arch-test ${arch}\` fails; ` +
      `${await emulationFix(arch)} (\`crossroot build\` needs no emulation)`,
  );
}

/** What a session in a root may see of the host beyond its own tree. */
export interface RootAccess {
  /** Share the host's network (default: none). */
  network?: boolean;
  /** Host directories or files mounted in the root, read-write: [host path, path in the root]. */
  binds?: [string, string][];
  /** Host files mounted read-only over the root's: [host path, path in the root]. */
  roBinds?: [string, string][];
  /**
   * Drop every capability but these (the maintainer-script sandbox's set). The reference
   * build's dpkg and scripts need no more; without it bwrap run by root keeps them all, and
   * CAP_SYS_ADMIN or CAP_MKNOD reach the host from inside.
   */
  capabilities?: readonly string[];
  /** Run in a user namespace whose own binfmt_misc holds this entry (a qemu the host has not registered). */
  binfmt?: PrivateBinfmt;
}

/** A child's exit status as a shell reports it: 128 + the signal's number when one killed it. */
function exitStatus(code: number | null, signal: NodeJS.Signals | null): number {
  return code ?? 128 + (signal !== null ? osConstants.signals[signal] : 0);
}

function bwrapProgram(): string {
  const bwrap = findProgram('bwrap');
  if (bwrap === undefined) throw new CrossrootError('HOST_MISSING_BWRAP', 'bwrap is needed: apt-get install bubblewrap');
  return bwrap;
}

/** bwrap's arguments for `argv` with `root` as `/` (read-write), fresh /proc and /dev, read-only /sys, exactly `env`. */
function rootArguments(root: string, argv: string[], env: Record<string, string>, access: RootAccess = {}): string[] {
  return [
    '--bind', root, '/',
    '--dev', '/dev',
    '--proc', '/proc',
    '--ro-bind', '/sys', '/sys',
    ...(access.binds ?? []).flatMap(([host, inRoot]) => ['--bind', host, inRoot]),
    ...(access.roBinds ?? []).flatMap(([host, inRoot]) => ['--ro-bind', host, inRoot]),
    ...(access.capabilities === undefined ? [] : ['--cap-drop', 'ALL', ...access.capabilities.flatMap((c) => ['--cap-add', c])]),
    '--unshare-ipc', '--unshare-uts', '--unshare-pid',
    ...(access.network === true ? [] : ['--unshare-net']),
    '--die-with-parent',
    '--chdir', '/',
    '--clearenv',
    ...Object.entries(env).flatMap(([k, v]) => ['--setenv', k, v]),
    '--',
    ...argv,
  ];
}

/**
 * Runs `argv` with `root` as `/` (read-write), fresh /proc and /dev, read-only /sys, no
 * network, and exactly `env` -- what `chroot ROOT CMD` gives mmdebstrap's root mode. With
 * `binfmt`, foreign binaries run through that qemu, registered for this run only.
 * Resolves with the exit code and the tail of stderr.
 *
 * @example
 * await runInRoot('/tmp/root', ['dpkg', '--install', '--force-depends', '/var/cache/apt/archives/x.deb'], env);
 */
export async function runInRoot(root: string, argv: string[], env: Record<string, string>, binfmt?: PrivateBinfmt): Promise<{ exitCode: number; stderr: string }> {
  const args = rootArguments(root, argv, env, { capabilities: SANDBOX_CAPABILITIES });
  const child =
    binfmt === undefined
      ? spawn(bwrapProgram(), args, { stdio: ['ignore', 'ignore', 'pipe'] })
      : await spawnWithPrivateBinfmt(bwrapProgram(), args, binfmt, ['ignore', 'ignore', 'pipe']);
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => {
      stderr = (stderr + c.toString()).slice(-65536);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ exitCode: exitStatus(code, signal), stderr }));
  });
}

/**
 * Runs `argv` in `root` as {@link runInRoot} does, on this process's terminal (stdin, stdout
 * and stderr inherited), and resolves with its exit status as a shell reports it. `prefix` runs
 * bwrap through another program (e.g. `unshare` mounting an overlay first). While it runs,
 * the signals are the command's ({@link foregroundChild}), so the caller's clean-up still
 * happens when it ends.
 */
export async function runAttached(root: string, argv: string[], env: Record<string, string>, access: RootAccess, prefix: string[] = []): Promise<number> {
  const args = rootArguments(root, argv, env, access);
  const [program, ...rest] = [...prefix, bwrapProgram(), ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(program!, rest, { stdio: 'inherit' });
    const done = foregroundChild(child);
    child.on('error', (err) => {
      done();
      reject(err);
    });
    child.on('close', (code, signal) => {
      done();
      resolve(exitStatus(code, signal));
    });
  });
}
