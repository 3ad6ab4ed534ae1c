// A private binfmt_misc — qemu-user registered for one process tree only, never the host's
// (Linux ≥ 6.7: binfmt_misc mounted in a user namespace is that namespace's own instance,
// Documentation/admin-guide/binfmt-misc.rst; registration format ":name:type:offset:magic:mask:interpreter:flags").
//
// Why not the host's registry: binfmt_misc is one switch for the whole machine, so a qemu
// registered there for a reference build would run every foreign binary of every other user
// meanwhile, and a crash or SIGKILL would leave it there. A qemu named on the command line of
// the sandbox is not enough either: dpkg and its scripts exec further foreign programs, and
// only the kernel's binfmt lookup catches those. A user namespace with its own binfmt_misc
// gives both: every exec in the tree goes through our qemu, nothing outside sees it, and the
// registration dies with the last process of the tree — on success, failure, SIGINT or
// SIGKILL alike. The namespace maps every uid and gid to itself (so dpkg's chowns land as
// they would as root), which only root may set up.
//
// The handshake: `unshare --user --mount` starts a shell that says "ready" on fd 3 once the
// namespace exists; crossroot writes its uid_map and gid_map; the shell then mounts a new
// binfmt_misc over /proc/sys/fs/binfmt_misc (in its own mount namespace), registers the
// entry with the F flag (the interpreter is opened now, from the host's view, so it keeps
// working in the sandbox's root) and execs the command.

import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { CrossrootError } from '../errors.js';
import { findProgram } from '../host/programs.js';

/** One binfmt_misc entry, in the kernel's registration format, for a private instance. */
export interface PrivateBinfmt {
  /** ":name:M:offset:magic:mask:interpreter:flags" (flags include F). */
  registration: string;
}

const SCRIPT = [
  'echo ready >&3',
  'read go <&3 || exit 125',
  'exec 3>&-',
  '"$1" -t binfmt_misc crossroot-binfmt /proc/sys/fs/binfmt_misc || exit 125',
  'printf %s "$2" > /proc/sys/fs/binfmt_misc/register || exit 125',
  'shift 2',
  'exec "$@"',
].join('\n');

/** Every id mapped to itself: what root sees of file ownership stays as it is. */
const IDENTITY_MAP = '0 0 4294967295\n';

/**
 * Spawns `program args` in a new user and mount namespace whose binfmt_misc holds exactly
 * `binfmt`'s entry. Resolves once the namespace is set up (the child then runs the command);
 * rejects with an exit-4 error when this host cannot do it (not root, no unshare).
 */
export async function spawnWithPrivateBinfmt(program: string, args: string[], binfmt: PrivateBinfmt, stdio: StdioOptions): Promise<ChildProcess> {
  if (process.getuid?.() !== 0) {
    throw new CrossrootError('HOST_EMULATION_NEEDS_ROOT', 'running a qemu-user of its own for the reference needs root (a user namespace mapping every uid, with a private binfmt_misc): run crossroot verify as root');
  }
  const unshare = findProgram('unshare');
  const mount = findProgram('mount');
  if (unshare === undefined || mount === undefined) {
    throw new CrossrootError('HOST_MISSING_UNSHARE', 'unshare and mount (util-linux) are needed to register qemu-user privately: apt-get install util-linux mount');
  }
  const base = Array.isArray(stdio) ? stdio.slice(0, 3) : [stdio, stdio, stdio];
  const child = spawn(unshare, ['--user', '--mount', '--propagation', 'private', '--', '/bin/sh', '-c', SCRIPT, 'crossroot-binfmt', mount, binfmt.registration, program, ...args], {
    stdio: [...base, 'pipe'] as StdioOptions,
  });
  const control = child.stdio[3] as (Readable & Writable) | null;
  if (control === null || control === undefined) throw new Error('no control pipe to unshare');
  // A child killed before it read "go" resets the socket: its exit status says what happened.
  control.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    let said = '';
    const fail = (err: Error) => {
      control.removeAllListeners('data');
      child.kill('SIGKILL');
      reject(err);
    };
    child.once('error', fail);
    control.on('data', (c: Buffer) => {
      said += c.toString();
      if (!said.includes('\n')) return;
      control.removeAllListeners('data');
      child.removeListener('error', fail);
      const pid = child.pid!;
      Promise.all([writeFile(`/proc/${pid}/uid_map`, IDENTITY_MAP), writeFile(`/proc/${pid}/gid_map`, IDENTITY_MAP)])
        .then(() => {
          control.end('go\n');
          resolve();
        })
        .catch((err: NodeJS.ErrnoException) =>
          fail(new CrossrootError('HOST_USER_NAMESPACE', `cannot map ids in the user namespace for the private binfmt_misc: ${err.code ?? err.message}`)),
        );
    });
    // The shell ended before it said ready: unshare itself failed (its message is on stderr).
    child.once('exit', () => fail(new CrossrootError('HOST_USER_NAMESPACE', 'unshare --user --mount failed before the namespace was ready')));
  }).finally(() => child.removeAllListeners('exit'));
  return child;
}

/** Exit status of the set-up script when mounting or registering fails (before the command runs). */
export const PRIVATE_BINFMT_SETUP_FAILED = 125;
