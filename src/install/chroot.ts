// Running inside a root — real dpkg in the chroot for the reference build (and `crossroot run`).

import { spawn } from 'node:child_process';
import { CrossrootError } from '../errors.js';
import { hostArchitecture } from '../host/arch.js';
import { findProgram } from '../host/programs.js';

/**
 * Whether binaries of `arch` can run here (natively or through binfmt_misc/qemu-user),
 * asked the way arch-test does; exit-4 error with the exact fix when not.
 */
export async function ensureCanRun(arch: string): Promise<void> {
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
    throw new CrossrootError(
      'HOST_NO_EMULATION',
      `${arch} binaries cannot run on this ${hostArchitecture()} host (needed for the reference build). Fix, as root:\n` +
        '  apt-get install qemu-user-static binfmt-support\n' +
        '  mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc   # if not mounted\n' +
        '  update-binfmts --enable',
    );
  }
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
  const bwrap = findProgram('bwrap');
  if (bwrap === undefined) throw new CrossrootError('HOST_MISSING_BWRAP', 'bwrap is needed: apt-get install bubblewrap');
  const args = [
    '--bind', root, '/',
    '--dev', '/dev',
    '--proc', '/proc',
    '--ro-bind', '/sys', '/sys',
    '--unshare-ipc', '--unshare-uts', '--unshare-net', '--unshare-pid',
    '--die-with-parent',
    '--chdir', '/',
    '--clearenv',
    ...Object.entries(env).flatMap(([k, v]) => ['--setenv', k, v]),
    '--',
    ...argv,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(bwrap, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr = (stderr + c.toString()).slice(-65536);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ exitCode: code ?? 128 + (signal === 'SIGKILL' ? 9 : 15), stderr }));
  });
}
