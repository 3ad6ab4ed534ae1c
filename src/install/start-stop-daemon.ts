// mmdebstrap 1.6's start-stop-daemon diversions — sid's /usr/bin/mmdebstrap 2862-2962: after the
// pre-extraction and before stage 1, the suite's own dpkg-divert diverts start-stop-daemon (both
// merged-/usr spellings) with --rename and a fake takes its place; at the end the fake goes and
// the diversions are removed in reverse order, leaving dpkg-divert's files as they fall (an
// empty `diversions` is removed, and `diversions-old` when it holds only the last diversion).
// Their bytes are in the output whenever the root has diversions of its own (sid's base-files
// and libc6 have), so this is done, not skipped.

import { lstat, stat } from 'node:fs/promises';
import { CrossrootError } from '../errors.js';
import { readRootFile, removeRootFile, writeRootFile } from './root-files.js';
import type { TargetRoot } from './target-root.js';

/** Runs the tools' dpkg-divert with these arguments (after `--root ROOT`); resolves with its exit code and stderr. */
export type DpkgDivertRunner = (args: string[]) => Promise<{ exitCode: number; stderr: string }>;

const FAKE = '#!/bin/sh\necho "Warning: Fake start-stop-daemon called, doing nothing">&2\n';

/** Perl's -f and -l on the root's paths (reads only). */
async function isFile(path: string): Promise<boolean> {
  // Perl's -f: follows symlinks.
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

async function isSymlink(path: string): Promise<boolean> {
  return lstat(path).then(
    (s) => s.isSymbolicLink(),
    () => false,
  );
}

/**
 * Sets up the diversions and the fake; resolves with the clean-up, to run once every package
 * is installed (mmdebstrap's cleanup task, before run_cleanup).
 *
 * @example
 * const undo = await divertStartStopDaemon(new TargetRoot(root), (args) => runInSandbox(['dpkg-divert', '--root', root, ...args], …));
 * // … dpkg --install, apt runs …
 * await undo();
 */
export async function divertStartStopDaemon(root: TargetRoot, dpkgDivert: DpkgDivertRunner): Promise<() => Promise<void>> {
  const host = (p: string) => root.hostPath(p.replace(/^\//, ''));
  let ssdloc: string | undefined;
  if ((await isFile(host('/sbin/start-stop-daemon'))) && !(await isSymlink(host('/sbin')))) ssdloc = '/sbin/start-stop-daemon';
  else if (await isFile(host('/usr/sbin/start-stop-daemon'))) ssdloc = '/usr/sbin/start-stop-daemon';
  let pairs: [string, string][] = [
    ['/usr/sbin/start-stop-daemon', '/usr/sbin/start-stop-daemon.REAL'],
    ['/sbin/start-stop-daemon', '/sbin/start-stop-daemon.REAL.usr-is-merged'],
  ];
  if (ssdloc === '/sbin/start-stop-daemon') pairs = pairs.reverse();
  const divert = async (op: '--add' | '--remove', [diverted, divertTo]: [string, string]) => {
    const r = await dpkgDivert(['--local', '--rename', '--quiet', '--divert', divertTo, op, diverted]);
    if (r.exitCode !== 0) {
      throw new CrossrootError('INSTALL_DPKG_DIVERT', `dpkg-divert ${op} ${diverted} failed (exit ${r.exitCode}): ${r.stderr.trim().split('\n').slice(-3).join(' / ')}`);
    }
  };
  for (const p of pairs) await divert('--add', p);
  const removal = [...pairs].reverse();
  // Every write through the root guard: a symlink there is refused, never followed.
  if (ssdloc !== undefined) await writeRootFile(root, ssdloc.slice(1), FAKE, 0o755);
  return async () => {
    if (ssdloc !== undefined) await removeRootFile(root, ssdloc.slice(1));
    for (const p of removal) await divert('--remove', p);
    if ((await readRootFile(root, 'var/lib/dpkg/diversions')) === '') await removeRootFile(root, 'var/lib/dpkg/diversions');
    const last = removal[removal.length - 1]!;
    if ((await readRootFile(root, 'var/lib/dpkg/diversions-old')) === `${last[0]}\n${last[1]}\n:\n`) await removeRootFile(root, 'var/lib/dpkg/diversions-old');
  };
}
