// Running inside a root — real dpkg in the chroot for the reference build, and `crossroot run`.

import { spawn } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { CrossrootError } from '../errors.js';
import { readFile } from 'node:fs/promises';
import { hostArchitecture } from '../host/arch.js';
import { ARCHITECTURES } from '../host/architectures.js';
import { foregroundChild } from '../host/interrupt.js';
import { findProgram } from '../host/programs.js';
import { SANDBOX_CAPABILITIES } from './sandbox.js';

/**
 * Whether binaries of `arch` can run here (natively or through binfmt_misc/qemu-user),
 * asked the way arch-test does; exit-4 error with the exact fix when not.
 */
export async function ensureCanRun(arch: string, purpose = 'the reference build'): Promise<void> {
  if (arch === hostArchitecture()) return;
  const archTest = findProgram('arch-test');
  if (archTest === undefined) {
    throw new CrossrootError('HOST_MISSING_ARCH_TEST', 'arch-test is needed to check for qemu-user: apt-get install arch-test qemu-user-static binfmt-support');
  }
  const ok = await new Promise<boolean>((resolve) => {
    const child = spawn(archTest, [arch], { stdio: 'ignore' });
    child.on('error', () => resolve(false));
    child.on('close', (code) => resolve(code === 0));
  });
  if (!ok) {
    const qemu = ARCHITECTURES.get(arch)?.qemu;
    const entry = qemu === undefined ? undefined : `/proc/sys/fs/binfmt_misc/qemu-${qemu}`;
    const state = entry === undefined ? undefined : (await readFile(entry, 'utf8').catch(() => 'absent')).split('\n')[0];
    throw new CrossrootError(
      'HOST_NO_EMULATION',
      `${arch} binaries cannot run on this ${hostArchitecture()} host (needed for ${purpose}): \`arch-test ${arch}\` fails` +
        (entry === undefined ? '' : `; binfmt_misc ${entry}: ${state}`) +
        ` (a qemu-user too old for ${arch}'s binaries, or none registered; \`crossroot build\` needs no emulation). Fix, as root:\n` +
        '  apt-get install qemu-user-static binfmt-support\n' +
        '  mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc   # if not mounted\n' +
        '  update-binfmts --enable',
    );
  }
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
 * network, and exactly `env` -- what `chroot ROOT CMD` gives mmdebstrap's root mode.
 * Resolves with the exit code and the tail of stderr.
 *
 * @example
 * await runInRoot('/tmp/root', ['dpkg', '--install', '--force-depends', '/var/cache/apt/archives/x.deb'], env);
 */
export async function runInRoot(root: string, argv: string[], env: Record<string, string>): Promise<{ exitCode: number; stderr: string }> {
  const args = rootArguments(root, argv, env, { capabilities: SANDBOX_CAPABILITIES });
  return new Promise((resolve, reject) => {
    const child = spawn(bwrapProgram(), args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
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
