// Script sandbox — runs a command under bwrap(1) with a read-only `/` and only the target root writable.
//
// Chrootless maintainer scripts run host programs against the target (DPKG_ROOT). A script
// that ignores DPKG_ROOT writes to `/`: under plain `dpkg --force-script-chrootless` that is
// the build host. Here `/` is a read-only view of a tree passed in (`toolsRoot`: the host
// today, a tools root of the target suite later, DESIGN.md "Where this is going"), so such a
// write fails loudly instead.
//
// The view, in bwrap's order (later mounts cover earlier ones):
//   every top-level entry of toolsRoot except proc, dev, tmp, run: symlinks recreated,
//     everything else bound read-only (recursively: submounts are read-only too);
//   /proc (new, for the new pid namespace), /dev (bwrap's minimal one: null, zero, full,
//     random, urandom, tty, pts, shm), /tmp (private tmpfs, 1777), /run (private tmpfs:
//     scripts test `[ -d /run/systemd/system ]` to decide whether to talk to the host's
//     systemd — they must not);
//   each writable directory (the target root) bound read-write at its own path;
//   overlays (a patched script over its stored copy) bound read-only.
// Binding the top-level entries one by one (rather than `--ro-bind TOOLS /`) leaves `/`
// itself bwrap's tmpfs, so the mount point of a target that does not exist in a tools root
// can still be created.
//
// Namespaces: mount, pid (a script cannot see or signal host processes; everything it
// starts dies with it), ipc, uts (it cannot rename the host; the host name stays visible,
// as under mmdebstrap), net (no network: loopback only), cgroup where possible. No user
// namespace when running as root: files must get real owners (chown to `_apt`, `shadow`...).
//
// The process: stdin /dev/null; stdout and stderr real pipes; no other file descriptor
// (bwrap's status fd is close-on-exec); the umask given (dpkg's 022); exactly the
// environment given (bwrap's --clearenv, and env(1) -u PWD against the PWD bwrap exports).
//
// WARNING: bwrap run by root keeps every capability unless told otherwise, and with
// CAP_SYS_ADMIN `mount -o remount,rw /` undoes the read-only view (checked: it does). All
// capabilities are dropped and only SANDBOX_CAPABILITIES added back.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants as fsConstants, lstatSync, openSync, readdirSync, readlinkSync, realpathSync, rmSync, statSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { Socket } from 'node:net';
import { constants } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { CrossrootError } from '../errors.js';
import { findProgram } from '../host/programs.js';
import { workDirectoryPrefix } from '../host/stale.js';

/**
 * What root inside the sandbox may still do: what scripts need to build a root file system
 * (own files for other users, set modes and set-id bits, switch users, `chroot` as
 * `useradd --root` does, `setcap`). Deliberately absent: CAP_SYS_ADMIN (remount, mount),
 * CAP_DAC_READ_SEARCH (open_by_handle_at(2) reaches files outside the mount namespace
 * through the writable target's file system: the "shocker" escape), CAP_MKNOD (device
 * nodes are mmdebstrap's business, not scripts'), CAP_SYS_PTRACE, CAP_SYS_MODULE,
 * CAP_SYS_RAWIO, CAP_NET_ADMIN and the rest.
 */
export const SANDBOX_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SYS_CHROOT',
  'CAP_AUDIT_WRITE',
];

const execFileAsync = promisify(execFile);

/**
 * The launcher: one host shell per crossroot process that starts each sandbox. A spawn from
 * node forks node (measured here: 6-12 ms at 100-150 MB resident, on the main thread), a
 * fork of this small shell costs little; a build starts a sandbox for every maintainer script.
 *
 * It sets what node cannot set for one child: the umask (inherited through bwrap), and no
 * file descriptors but 0-3 (stdin /dev/null, the stdout and stderr FIFOs, bwrap's status
 * FIFO as 3). node passes on whatever it inherited without close-on-exec; a directory among
 * them would be a way out of the sandbox (openat(fd, "..")), so the launcher closes every
 * inherited descriptor but its control pipes first. bash, because dash cannot name fds
 * above 9. Whatever it adds to the environment, bwrap's --clearenv drops.
 *
 * Requests on stdin, NUL-terminated fields: COUNT UMASK STDOUT STDERR STATUS ARG0..ARGn-1.
 * Replies on stdout, one line each: "pid PID" once the command is started (its FIFOs open),
 * then "exit CODE" (128+N when killed by signal N).
 */
/**
 * bash that closes every inherited file descriptor but those named (`keep`, e.g. '0|1|2'):
 * node passes on whatever it inherited without close-on-exec, and a directory among them
 * would be a way out of the sandbox.
 */
export function closeInheritedFds(keep: string): string {
  return `for f in /proc/self/fd/*; do n=\${f##*/}; case $n in ${keep}) ;; *) eval "exec $n>&-" 2>/dev/null ;; esac; done`;
}

/** bwrap (`given`, or on PATH) and bash, or the HOST_ error that says how to install them. */
export function sandboxPrograms(given?: string): { bwrap: string; bash: string } {
  const bwrap = given ?? findProgram('bwrap');
  if (bwrap === undefined) {
    throw new CrossrootError('HOST_MISSING_BWRAP', 'bwrap is needed to run maintainer scripts in a sandbox: apt-get install bubblewrap');
  }
  const bash = findProgram('bash');
  if (bash === undefined) throw new CrossrootError('HOST_MISSING_BASH', 'bash is needed to start the sandbox: apt-get install bash');
  return { bwrap, bash };
}

const LAUNCHER = [
  closeInheritedFds('0|1|2'),
  "while IFS= read -r -d '' count; do",
  "  IFS= read -r -d '' mask; IFS= read -r -d '' out; IFS= read -r -d '' err; IFS= read -r -d '' st",
  '  args=()',
  `  for ((i = 0; i < count; i++)); do IFS= read -r -d '' a; args+=("$a"); done`,
  // The FIFOs are opened here, before the fork: when "pid" is printed the command holds them.
  '  exec 4>"$out" 5>"$err" 6>"$st"',
  '  (umask "$mask" || exit 125; exec "${args[@]}") </dev/null >&4 2>&5 3>&6 4>&- 5>&- 6>&- &',
  '  pid=$!',
  '  exec 4>&- 5>&- 6>&-',
  `  printf 'pid %d\\n' "$pid"`,
  '  wait "$pid"',
  `  printf 'exit %d\\n' "$?"`,
  'done',
].join('\n');

/**
 * The reply lines of a helper process (the launcher, a session's runner), one at a time;
 * `undefined` once it has ended (its stdout closed, or it could not be started).
 */
export class ReplyLines {
  readonly #lines: string[] = [];
  readonly #waiters: ((line: string | undefined) => void)[] = [];
  #ended = false;

  constructor(child: ChildProcess) {
    let partial = '';
    child.stdout!.on('data', (c: Buffer) => {
      partial += c.toString('latin1');
      let nl;
      while ((nl = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, nl);
        partial = partial.slice(nl + 1);
        const w = this.#waiters.shift();
        if (w !== undefined) w(line);
        else this.#lines.push(line);
      }
    });
    child.stdout!.on('close', () => this.end());
    child.on('error', () => this.end());
    child.stdin!.on('error', () => this.end());
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Marks the helper ended: whoever waits for a line gets `undefined`. */
  end(): void {
    this.#ended = true;
    for (const w of this.#waiters.splice(0)) w(undefined);
  }

  next(): Promise<string | undefined> {
    const l = this.#lines.shift();
    if (l !== undefined) return Promise.resolve(l);
    if (this.#ended) return Promise.resolve(undefined);
    return new Promise((r) => this.#waiters.push(r));
  }
}

/** One launcher per process, started on first use; requests go one at a time. */
class Launcher {
  readonly #child: ChildProcess;
  readonly #replies: ReplyLines;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(bash: string) {
    this.#child = spawn(bash, ['-c', LAUNCHER], { cwd: '/', env: {}, stdio: ['pipe', 'pipe', 'ignore'] });
    this.#replies = new ReplyLines(this.#child);
    // Idle, neither it nor its pipes keep this process alive (it ends when its stdin does);
    // while a command runs, its reply pipe does (#hold).
    this.#child.unref();
    (this.#child.stdout as Socket).unref();
    (this.#child.stdin as unknown as Socket).unref();
  }

  #hold(on: boolean): void {
    const out = this.#child.stdout as Socket;
    if (on) out.ref();
    else out.unref();
  }

  get alive(): boolean {
    return !this.#replies.ended;
  }

  /**
   * Starts `argv` with the FIFOs as stdout, stderr and fd 3; `started` is called with its pid
   * once they are open in it. Resolves with its exit status.
   */
  run(argv: readonly string[], umask: number, fifos: readonly [string, string, string], started: (pid: number) => void): Promise<number> {
    const job = this.#queue.then(async () => {
      if (this.#replies.ended) throw new Error('the sandbox launcher has ended');
      this.#hold(true);
      try {
        const fields = [String(argv.length), umask.toString(8).padStart(4, '0'), ...fifos, ...argv];
        this.#child.stdin!.write(Buffer.concat(fields.map((f) => Buffer.from(`${f}\0`))));
        const pid = /^pid (\d+)$/.exec((await this.#replies.next()) ?? '');
        if (pid === null) throw new Error('the sandbox launcher did not start the command');
        started(Number(pid[1]));
        const exit = /^exit (\d+)$/.exec((await this.#replies.next()) ?? '');
        if (exit === null) throw new Error('the sandbox launcher ended while the command ran');
        return Number(exit[1]);
      } finally {
        this.#hold(false);
      }
    });
    this.#queue = job.catch(() => undefined);
    return job;
  }
}

let launcher: Launcher | undefined;

/** Top-level entries of the tools root that the sandbox provides itself. */
const REPLACED_TOP_LEVEL = new Set(['proc', 'dev', 'tmp', 'run']);

/** How much of each output stream is kept (the tail); scripts can be chatty. */
const KEEP_OUTPUT_BYTES = 1 << 20;

/** A host path bound read-only over a path inside the sandbox. */
export interface SandboxOverlay {
  /** Host path of the file or directory shown. */
  source: string;
  /** Where it appears inside the sandbox; must already exist there. */
  target: string;
}

export interface SandboxOptions {
  /** The tree presented (read-only) as `/`. Default `/`: the host. */
  toolsRoot?: string;
  /** Host directories bound read-write at the same path inside (the target root). */
  writable: readonly string[];
  /** Read-only binds over paths inside, applied last. */
  overlays?: readonly SandboxOverlay[];
  /** Host directories bound read-only at the same path inside (a root a tool only reads). */
  readOnly?: readonly string[];
  /** Working directory inside the sandbox. */
  cwd: string;
  /** The command's whole environment: nothing else is added (bwrap's own `PWD` is removed). */
  env: Readonly<Record<string, string>>;
  /** The command's umask; default 0o022, as dpkg sets it. */
  umask?: number;
  /** Kill the sandbox after this long (it then reports exit 137). */
  timeoutMs?: number;
  /** Each chunk of output as it comes (progress, logs); the result keeps the tails either way. */
  onOutput?: (stream: 'stdout' | 'stderr', chunk: Buffer) => void;
  /** The bwrap program; default: `bwrap` on PATH. For tests. */
  bwrap?: string;
}

export interface SandboxResult {
  /** The command's exit status; 128+N when killed by signal N (as a shell reports it). */
  exitCode: number;
  /** The last MiB of standard output. */
  stdout: string;
  /** The last MiB of standard error. */
  stderr: string;
}

/**
 * Runs `argv` inside the sandbox described at the top of this file, stdin `/dev/null`.
 * Resolves with the exit code whatever it is; rejects with a `HOST_` error (exit 4, with
 * the fix) when bwrap is missing or cannot create the sandbox.
 *
 * @example
 * const r = await runInSandbox(['/bin/sh', '-c', 'touch "$DPKG_ROOT/x"'], {
 *   writable: ['/srv/root'], cwd: '/srv/root', env: { PATH: '/usr/bin:/bin', DPKG_ROOT: '/srv/root' },
 * });
 * // r.exitCode === 0; /srv/root/x exists; writing /etc/x instead gives exit 1 and
 * // "Read-only file system" in r.stderr.
 */
export async function runInSandbox(argv: readonly string[], opts: SandboxOptions): Promise<SandboxResult> {
  const { bwrap, bash } = sandboxPrograms(opts.bwrap);
  const args = bwrapArguments(argv, { ...opts, toolsEntries: topLevelEntries(opts.toolsRoot ?? '/') });
  const pipes = await outputPipes();
  const { stdout, stderr, status, drained } = collectOutput(pipes, opts.onOutput);
  let exit: { code: number | null; signal: NodeJS.Signals | null };
  try {
    if (launcher === undefined || !launcher.alive) launcher = new Launcher(bash);
    let timer: NodeJS.Timeout | undefined;
    const code = await launcher
      .run([bwrap, ...args], opts.umask ?? 0o022, pipes.names, (p) => {
        // The command holds the write ends now: ours go, so that its end is the end of file.
        pipes.closeWriteEnds();
        if (opts.timeoutMs !== undefined) timer = setTimeout(() => process.kill(p, 'SIGKILL'), opts.timeoutMs);
      })
      .finally(() => clearTimeout(timer));
    exit = code > 128 ? { code: null, signal: signalName(code - 128) } : { code, signal: null };
    // Everything in the sandbox died with bwrap (pid namespace): the pipes reach end of file.
    await drained;
  } finally {
    pipes.destroy();
  }

  const reports = parseJsonStatus(Buffer.concat(status).toString('utf8'));
  const started = reports.some((r) => typeof r['child-pid'] === 'number');
  const err = stderr.text();
  if (!started) {
    if (exit.signal === 'SIGKILL' && opts.timeoutMs !== undefined) return { exitCode: 137, stdout: stdout.text(), stderr: err };
    throw sandboxSetupError(err, exit.code);
  }
  const reported = reports.find((r) => typeof r['exit-code'] === 'number')?.['exit-code'] as number | undefined;
  const exitCode = reported ?? exit.code ?? 128 + signalNumber(exit.signal);
  return { exitCode, stdout: stdout.text(), stderr: err };
}

/** What a command wrote: the tails of its output, and `drained` once every writer has closed. */
export interface CollectedOutput {
  stdout: TailBuffer;
  stderr: TailBuffer;
  /** bwrap's JSON status reports. */
  status: Buffer[];
  drained: Promise<void>;
}

/** Reads the three pipes to their end, keeping the tails (and passing chunks to `onOutput`). */
export function collectOutput(pipes: OutputPipes, onOutput?: SandboxOptions['onOutput']): CollectedOutput {
  const stdout = new TailBuffer(KEEP_OUTPUT_BYTES);
  const stderr = new TailBuffer(KEEP_OUTPUT_BYTES);
  const status: Buffer[] = [];
  const read = (p: Socket, onData: (c: Buffer) => void) =>
    new Promise<void>((done) => {
      p.on('data', onData);
      p.on('error', () => done());
      p.on('close', () => done());
    });
  const drained = Promise.all([
    read(pipes.stdout.read, (c) => {
      stdout.push(c);
      onOutput?.('stdout', c);
    }),
    read(pipes.stderr.read, (c) => {
      stderr.push(c);
      onOutput?.('stderr', c);
    }),
    read(pipes.status.read, (c) => status.push(c)),
  ]).then(() => undefined);
  return { stdout, stderr, status, drained };
}

export interface OutputPipes {
  stdout: { read: Socket; write: number };
  stderr: { read: Socket; write: number };
  status: { read: Socket; write: number };
  /** The FIFOs' names (stdout, stderr, status), for the launcher to open. */
  names: readonly [string, string, string];
  /** Closes this process's write ends and removes the names (once the command has them open). */
  closeWriteEnds(): void;
  destroy(): void;
}

/**
 * Named pipes made ahead, many per `mkfifo` run: a spawn costs this process a fork (measured
 * here: 12 ms at 100 MB resident), and every maintainer script needs two. They live in one
 * private directory (mode 0700), each name removed as soon as it is opened; the directory
 * goes when the process exits.
 */
const FIFO_BATCH = 64;
let fifoDir: string | undefined;
let fifoSerial = 0;
const fifoPool: string[] = [];

/** The private directory of this process's named pipes (made on first use). */
export async function fifoDirectory(): Promise<string> {
  if (fifoDir === undefined) {
    const dir = await mkdtemp(workDirectoryPrefix('sandbox'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    fifoDir = dir;
  }
  return fifoDir;
}

async function takeFifo(): Promise<string> {
  if (fifoPool.length === 0) {
    const mkfifo = findProgram('mkfifo');
    if (mkfifo === undefined) throw new CrossrootError('HOST_MISSING_MKFIFO', 'mkfifo is needed to run maintainer scripts: apt-get install coreutils');
    const dir = await fifoDirectory();
    const names = Array.from({ length: FIFO_BATCH }, () => join(dir, `fifo-${++fifoSerial}`));
    await execFileAsync(mkfifo, ['-m', '0600', ...names]);
    fifoPool.push(...names);
  }
  return fifoPool.shift()!;
}

/**
 * Real pipes for the command's stdout and stderr (and bwrap's status). node's own 'pipe'
 * stdio is a socket pair, and open(2) of /dev/stdout or /dev/stderr on a socket fails
 * (ENXIO): `echo x >/dev/stderr`, which works under dpkg, would fail. FIFOs are pipes. This
 * process holds a write end of each until the command has its own (a FIFO without writers
 * reads as ended); their names go at the same time.
 */
export async function outputPipes(): Promise<OutputPipes> {
  const names = [await takeFifo(), await takeFifo(), await takeFifo()] as const;
  const fds: number[] = [];
  try {
    const open = (name: string): { read: Socket; write: number } => {
      // The read end first, non-blocking, so that opening the write end does not wait
      // (libuv opens everything close-on-exec: no other child inherits these).
      const r = openSync(name, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
      fds.push(r);
      const w = openSync(name, fsConstants.O_WRONLY);
      fds.push(w);
      return { read: new Socket({ fd: r, readable: true, writable: false }), write: w };
    };
    const out = open(names[0]);
    const err = open(names[1]);
    const st = open(names[2]);
    let writeOpen = true;
    const closeWriteEnds = () => {
      if (!writeOpen) return;
      writeOpen = false;
      for (const p of [out, err, st]) closeSync(p.write);
      for (const n of names) rmSync(n, { force: true });
    };
    return {
      stdout: out,
      stderr: err,
      status: st,
      names,
      closeWriteEnds,
      destroy: () => {
        closeWriteEnds();
        for (const p of [out, err, st]) p.read.destroy();
      },
    };
  } catch (e) {
    for (const fd of fds) {
      try {
        closeSync(fd);
      } catch {
        // already closed by its socket
      }
    }
    for (const n of names) rmSync(n, { force: true });
    throw e;
  }
}

/**
 * The bwrap command line for `argv` (exported for tests; `toolsEntries` is the tools root's
 * top-level listing).
 *
 * @example
 * bwrapArguments(['/r/x'], { toolsEntries: [{ name: 'usr' }, { name: 'bin', symlink: 'usr/bin' }], writable: ['/r'], cwd: '/r', env: {} });
 * // [..., '--symlink', 'usr/bin', '/bin', '--ro-bind', '/usr', '/usr', '--proc', '/proc', ..., '--', '/usr/bin/env', '-u', 'PWD', '/r/x']
 */
export function bwrapArguments(
  argv: readonly string[],
  opts: SandboxOptions & { toolsEntries: readonly ToolsEntry[]; statusFd?: boolean },
): string[] {
  if (argv.length === 0) throw new Error('runInSandbox: empty command');
  // The command is started through env(1) (see below), which would read NAME=VALUE.
  if (argv[0]!.includes('=')) throw new CrossrootError('INSTALL_SANDBOX_COMMAND', `cannot run a command whose path contains "=": ${argv[0]}`);
  const toolsRoot = resolve(opts.toolsRoot ?? '/');
  const a: string[] = [
    '--die-with-parent',
    '--new-session', // no controlling terminal to push input into (TIOCSTI); scripts are noninteractive
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-net',
    '--unshare-cgroup-try',
  ];
  // Without root, bwrap needs a user namespace; uid 0 inside it is as close to a real
  // install as it gets (ownership of other users then fails, visibly).
  if (process.getuid?.() !== 0) a.push('--unshare-user', '--uid', '0', '--gid', '0');
  a.push('--cap-drop', 'ALL');
  for (const cap of SANDBOX_CAPABILITIES) a.push('--cap-add', cap);
  const splice = toolsRoot === '/' ? { dirs: new Set<string>(), args: [] } : spliceArguments(toolsRoot, [...(opts.readOnly ?? []), ...opts.writable]);
  for (const e of [...opts.toolsEntries].sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0))) {
    if (REPLACED_TOP_LEVEL.has(e.name) || splice.dirs.has(`/${e.name}`)) continue;
    if (e.symlink !== undefined) a.push('--symlink', e.symlink, `/${e.name}`);
    else a.push('--ro-bind', join(toolsRoot, e.name), `/${e.name}`);
  }
  a.push(...splice.args);
  a.push('--proc', '/proc', '--dev', '/dev');
  a.push('--perms', '1777', '--tmpfs', '/tmp', '--perms', '0755', '--tmpfs', '/run');
  for (const r of opts.readOnly ?? []) a.push('--ro-bind', r, r);
  for (const w of opts.writable) a.push('--bind', w, w);
  for (const o of opts.overlays ?? []) a.push('--ro-bind', o.source, o.target);
  a.push('--chdir', opts.cwd);
  a.push('--clearenv');
  for (const [k, v] of Object.entries(opts.env)) a.push('--setenv', k, v);
  if (opts.statusFd !== false) a.push('--json-status-fd', '3');
  // bwrap always exports PWD (the --chdir directory); dpkg does not. env(1) from the tools
  // root removes it and execs the command with argv[0] unchanged.
  a.push('--', '/usr/bin/env', '-u', 'PWD', ...argv);
  return a;
}

/**
 * The program and arguments that run `argv` from the tools root in the sandbox's view, for a
 * caller that spawns it with stdio of its own (GNU tar writing a tarball into a file it
 * opened): no status fd, the tools root's `/usr/bin/env` clearing PWD, the target bound
 * read-only (`readOnly`) or read-write (`writable`).
 *
 * @example
 * const { program, args } = toolCommand(['tar', '-c', '-C', '/tmp/root', '.'], { toolsRoot: T, readOnly: ['/tmp/root'], writable: [], cwd: '/', env: { PATH: '/usr/bin:/bin' } });
 * spawn(program, args, { stdio: ['ignore', fd, 'pipe'] });
 */
export function toolCommand(argv: readonly string[], opts: Omit<SandboxOptions, 'umask' | 'timeoutMs' | 'onOutput'>): { program: string; args: string[] } {
  const { bwrap } = sandboxPrograms(opts.bwrap);
  return { program: bwrap, args: bwrapArguments(argv, { ...opts, toolsEntries: topLevelEntries(opts.toolsRoot ?? '/'), statusFd: false }) };
}

/**
 * A directory bound at its own path must have a mount point in the view. With a tools root as
 * `/`, a target under TMPDIR=/var/tmp/x or /srv/build has none: /var is the tools root's,
 * read-only, and bwrap cannot make /var/tmp/x in it. So each directory of the tools root on
 * the way to such a path is spliced: made on the sandbox's own `/` (a tmpfs) with the tools
 * root's mode, and filled with read-only binds (and symlinks) of its other entries; the rest of
 * the path bwrap then makes itself. Paths under the sandbox's own /tmp, /run, /proc, /dev need
 * nothing. (A spliced directory is tmpfs: a script writing there writes into the sandbox, not
 * into the tools root or the host.)
 */
function spliceArguments(toolsRoot: string, targets: readonly string[]): { dirs: Set<string>; args: string[] } {
  const excluded = new Map<string, Set<string>>();
  for (const t of targets) {
    const comps = t.split('/').filter((c) => c !== '' && c !== '.');
    if (comps.length === 0 || REPLACED_TOP_LEVEL.has(comps[0]!)) continue;
    let k = 0;
    while (k < comps.length && lstatSync(join(toolsRoot, ...comps.slice(0, k + 1)), { throwIfNoEntry: false })?.isDirectory() === true) k++;
    if (k === comps.length) continue; // the mount point exists in the tools root
    if (lstatSync(join(toolsRoot, ...comps.slice(0, k + 1)), { throwIfNoEntry: false }) !== undefined) {
      throw new CrossrootError('INSTALL_TOOLS_ROOT', `cannot show ${t} in the sandbox: /${comps.slice(0, k + 1).join('/')} is not a directory in the tools root`, { path: toolsRoot });
    }
    for (let i = 0; i < k; i++) {
      const dir = `/${comps.slice(0, i + 1).join('/')}`;
      if (!excluded.has(dir)) excluded.set(dir, new Set());
      excluded.get(dir)!.add(comps[i + 1]!);
    }
  }
  const args: string[] = [];
  // Parents first: a child is made inside its spliced parent.
  for (const dir of [...excluded.keys()].sort((x, y) => x.split('/').length - y.split('/').length || (x < y ? -1 : 1))) {
    const host = join(toolsRoot, dir);
    args.push('--perms', (statSync(host).mode & 0o7777).toString(8).padStart(4, '0'), '--dir', dir);
    for (const e of readdirSync(host, { withFileTypes: true }).sort((x, y) => (x.name < y.name ? -1 : 1))) {
      if (excluded.get(dir)!.has(e.name)) continue;
      if (e.isSymbolicLink()) args.push('--symlink', readlinkSync(join(host, e.name)), `${dir}/${e.name}`);
      else if (e.isDirectory() || e.isFile()) args.push('--ro-bind', join(host, e.name), `${dir}/${e.name}`);
    }
  }
  return { dirs: new Set(excluded.keys()), args };
}

/** One top-level entry of the tools root. */
export interface ToolsEntry {
  name: string;
  /** The link text, for a symlink (merged-/usr's `bin -> usr/bin`). */
  symlink?: string;
}

export function topLevelEntries(toolsRoot: string): ToolsEntry[] {
  let dirents;
  try {
    dirents = readdirSync(toolsRoot, { withFileTypes: true });
  } catch (err) {
    throw new CrossrootError('INSTALL_TOOLS_ROOT', `cannot read the tools root: ${(err as Error).message}`, { path: toolsRoot });
  }
  const out: ToolsEntry[] = [];
  for (const d of dirents) {
    if (d.isSymbolicLink()) out.push({ name: d.name, symlink: readlinkSync(join(toolsRoot, d.name)) });
    else if (d.isDirectory() || d.isFile()) out.push({ name: d.name });
    // sockets, fifos, devices at the top level: nothing a script needs.
  }
  return out;
}

/**
 * The canonical absolute path of an existing directory (what the sandbox binds), or a coded
 * error. bwrap resolves bind sources on the host, so a path through a symlink would appear
 * elsewhere inside than scripts are told.
 *
 * @example
 * sandboxDirectory('/srv/root/', 'the target root'); // '/srv/root'
 */
export function sandboxDirectory(path: string, what: string): string {
  let real: string;
  try {
    real = realpathSync(path);
  } catch (err) {
    throw new CrossrootError('INSTALL_ROOT_MISSING', `${what} does not exist: ${(err as Error).message}`, { path });
  }
  if (!statSync(real).isDirectory()) throw new CrossrootError('INSTALL_ROOT_MISSING', `${what} is not a directory`, { path });
  return real;
}

function parseJsonStatus(text: string): Record<string, unknown>[] {
  // bwrap writes one JSON object per line.
  const out: Record<string, unknown>[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // a torn write from a killed bwrap: ignore
    }
  }
  return out;
}

/** bwrap could not set up the sandbox: name the cause and the fix (exit 4). */
export function sandboxSetupError(stderr: string, code: number | null): CrossrootError {
  const said = stderr.trim().split('\n').slice(-5).join('\n');
  const root = process.getuid?.() === 0;
  const fix = root
    ? 'run crossroot as root on the host, or in a container allowed to create namespaces ' +
      '(docker run --privileged, or --cap-add SYS_ADMIN --security-opt seccomp=unconfined --security-opt apparmor=unconfined)'
    : 'run crossroot as root, or allow unprivileged user namespaces: sysctl -w kernel.unprivileged_userns_clone=1 ' +
      '(and sysctl -w user.max_user_namespaces=15000 if it is 0)';
  return new CrossrootError(
    'HOST_SANDBOX_UNAVAILABLE',
    `bwrap cannot create the sandbox for maintainer scripts (exit ${code ?? 'by signal'}): ${said === '' ? 'no message' : said}\nfix: ${fix}`,
  );
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal === null ? 0 : (constants.signals[signal] ?? 0);
}

export function signalName(n: number): NodeJS.Signals {
  return (Object.entries(constants.signals).find(([, v]) => v === n)?.[0] ?? 'SIGKILL') as NodeJS.Signals;
}

/** Keeps the last `limit` bytes of a stream. */
export class TailBuffer {
  #chunks: Buffer[] = [];
  #size = 0;
  readonly #limit: number;

  constructor(limit: number) {
    this.#limit = limit;
  }

  push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    while (this.#size - this.#chunks[0]!.length >= this.#limit) this.#size -= this.#chunks.shift()!.length;
  }

  text(): string {
    const all = Buffer.concat(this.#chunks);
    return all.subarray(Math.max(0, all.length - this.#limit)).toString('utf8');
  }
}
