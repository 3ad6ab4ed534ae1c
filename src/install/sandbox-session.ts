// Sandbox session — one bwrap sandbox (sandbox.ts) kept open for a whole build, running each maintainer script in turn.
//
// A sandbox costs about 15 ms to set up (bwrap's namespaces and its ~30 mounts), as much as
// many a maintainer script takes to run; a build runs one script after another, each seeing
// the same view (the tools root read-only, the target root writable). A session sets the
// sandbox up once: a small POSIX shell (the runner, from the tools root) waits inside it for
// requests and starts each command there, with its own environment, working directory and
// umask, stdin /dev/null and named pipes as stdout and stderr, as runInSandbox does.
//
// What stays per command, as with a sandbox of its own:
// - everything it started dies with it: once it exits the runner kills every other process
//   in the sandbox (kill -KILL -1: all but bwrap's init and the runner itself);
// - /tmp and /run start empty (the runner empties them after each command; /run keeps the
//   session's control directory, see below);
// - exactly the environment given (`env -i`), no file descriptor but 0, 1, 2;
// - a command that outlives `timeoutMs` is killed with the whole sandbox (exit 137); the
//   next command gets a new one.
// What is shared, as under dpkg on a real system: the pid, ipc and uts namespaces (pids
// keep counting up) and the session id.
//
// The named pipes live in this process's private FIFO directory (sandbox.ts), bound
// read-only at RUN_DIRECTORY inside (a named pipe on a read-only mount can still be
// opened for writing): commands can see that directory, as they can see /proc.
//
// Requests go to the runner's stdin, one line each: shell assignments and `set --` with
// every value single-quoted (a newline written as '"$nl"'), evaluated by the runner.
// Replies on its stdout: "ready" once, then "pid PID" (the command has its pipes) and
// "exit CODE" (128+N when killed by signal N) for each command.

import { spawn, type ChildProcess } from 'node:child_process';
import { basename } from 'node:path';
import { CrossrootError } from '../errors.js';
import {
  bwrapArguments,
  closeInheritedFds,
  collectOutput,
  fifoDirectory,
  outputPipes,
  ReplyLines,
  sandboxPrograms,
  sandboxSetupError,
  topLevelEntries,
  type SandboxOptions,
  type SandboxResult,
} from './sandbox.js';

/** Where the session's named pipes appear inside the sandbox. */
export const RUN_DIRECTORY = '/run/crossroot';

/**
 * The runner, run by the tools root's /bin/sh (dash or bash: POSIX only). `keep` are the
 * entries of /tmp and /run it must not empty: its control directory, and whatever holds a
 * writable directory's mount point (a target root under the host's /tmp appears under the
 * sandbox's /tmp: emptying that would remove the root).
 */
const runner = (keep: readonly string[]) => [
  'nl=\'',
  "'",
  "printf 'ready\\n'",
  'while IFS= read -r request; do',
  '  eval "$request"',
  // The pipes are opened here, before the fork: when "pid" is printed the command holds them.
  '  exec 4>"$out" 5>"$err"',
  '  (cd "$dir" && umask "$mask" || exit 125; exec /usr/bin/env -i "$@") </dev/null >&4 2>&5 4>&- 5>&- &',
  '  pid=$!',
  '  exec 4>&- 5>&-',
  "  printf 'pid %d\\n' \"$pid\"",
  '  wait "$pid"',
  '  code=$?',
  '  kill -KILL -1 2>/dev/null',
  // ...and waits (without a fork) until bwrap's init has reaped them: only it and the
  // runner are left in /proc. Bounded, for a process stuck in the kernel.
  '  n=0',
  '  while [ $n -lt 100000 ]; do set -- /proc/[0-9]*; [ $# -le 2 ] && break; n=$((n + 1)); done',
  '  set --',
  '  for f in /tmp/* /tmp/.[!.]* /tmp/..?* /run/* /run/.[!.]* /run/..?*; do',
  `    case $f in ${keep.map(quote).join('|')}) ;; *) if [ -e "$f" ] || [ -L "$f" ]; then set -- "$@" "$f"; fi ;; esac`,
  '  done',
  '  if [ $# -gt 0 ]; then rm -rf -- "$@"; fi',
  "  printf 'exit %d\\n' \"$code\"",
  'done',
].join('\n');

/**
 * On the host, before bwrap: no file descriptor but 0-3 (bwrap's status pipe) goes into the
 * sandbox. node passes on whatever it inherited without close-on-exec (sandbox.ts, LAUNCHER).
 */
const CLOSE_INHERITED = `${closeInheritedFds('0|1|2|3')}; exec "$@"`;

export interface SandboxSessionOptions {
  /** The tree presented (read-only) as `/`. Default `/`: the host. */
  toolsRoot?: string;
  /** Host directories bound read-write at the same path inside (the target root). */
  writable: readonly string[];
  /** The bwrap program; default: `bwrap` on PATH. For tests. */
  bwrap?: string;
}

/** What varies from one command of a session to the next. */
export type SandboxCommandOptions = Pick<SandboxOptions, 'cwd' | 'env' | 'umask' | 'timeoutMs' | 'onOutput'>;

/** The running sandbox: bwrap, the runner's reply lines. */
interface Running {
  child: ChildProcess;
  replies: ReplyLines;
  stderr: Buffer[];
  exited: Promise<number | null>;
}

/**
 * One sandbox for many commands, one at a time. Started on the first command; `close()`
 * ends it (a build closes its session before it removes the root).
 *
 * @example
 * const s = new SandboxSession({ writable: ['/srv/root'] });
 * try {
 *   const r = await s.run(['/bin/sh', '-c', 'echo $X'], { cwd: '/srv/root', env: { X: '1' } });
 *   // r.exitCode === 0, r.stdout === '1\n'
 * } finally {
 *   await s.close();
 * }
 */
export class SandboxSession {
  readonly #opts: SandboxSessionOptions;
  #running: Running | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(opts: SandboxSessionOptions) {
    this.#opts = opts;
  }

  /** The directories writable inside. */
  get writable(): readonly string[] {
    return this.#opts.writable;
  }

  /** The tools root the session shows as `/` (default `/`). */
  get toolsRoot(): string {
    return this.#opts.toolsRoot ?? '/';
  }

  /**
   * Runs `argv` in the session's sandbox. Resolves with its exit code whatever it is;
   * rejects with a `HOST_` error (exit 4) when the sandbox cannot be set up.
   */
  run(argv: readonly string[], opts: SandboxCommandOptions): Promise<SandboxResult> {
    const job = this.#queue.then(() => this.#run(argv, opts));
    this.#queue = job.catch(() => undefined);
    return job;
  }

  /** Ends the sandbox (and anything still running in it). */
  async close(): Promise<void> {
    await this.#queue;
    const r = this.#running;
    this.#running = undefined;
    if (r === undefined) return;
    r.child.stdin!.end();
    const killer = setTimeout(() => r.child.kill('SIGKILL'), 5000);
    await r.exited;
    clearTimeout(killer);
  }

  async #run(argv: readonly string[], opts: SandboxCommandOptions): Promise<SandboxResult> {
    const request = commandRequest(argv, opts);
    const r = await this.#started();
    const pipes = await outputPipes();
    const { stdout, stderr, drained } = collectOutput(pipes, opts.onOutput);
    let code: number;
    let timedOut = false;
    try {
      const inside = (p: string) => `${RUN_DIRECTORY}/${basename(p)}`;
      r.child.stdin!.write(`out=${quote(inside(pipes.names[0]))} err=${quote(inside(pipes.names[1]))} ${request}\n`);
      // The status pipe is not used in a session: closed with the write ends.
      const pid = /^pid \d+$/.test((await r.replies.next()) ?? '');
      if (!pid) throw this.#lost(r);
      pipes.closeWriteEnds();
      let timer: NodeJS.Timeout | undefined;
      if (opts.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          timedOut = true;
          r.child.kill('SIGKILL');
        }, opts.timeoutMs);
      }
      const exit = /^exit (\d+)$/.exec((await r.replies.next()) ?? '');
      clearTimeout(timer);
      if (exit === null) {
        if (!timedOut) throw this.#lost(r);
        this.#running = undefined;
        code = 137;
      } else {
        code = Number(exit[1]);
      }
      await drained;
    } finally {
      pipes.destroy();
    }
    return { exitCode: code, stdout: stdout.text(), stderr: stderr.text() };
  }

  /** The running sandbox, started if need be ("ready" seen). */
  async #started(): Promise<Running> {
    if (this.#running !== undefined && !this.#running.replies.ended) return this.#running;
    const { bwrap, bash } = sandboxPrograms(this.#opts.bwrap);
    const fifos = await fifoDirectory();
    const keep = new Set([RUN_DIRECTORY]);
    for (const w of this.#opts.writable) {
      const top = /^\/(tmp|run)\/[^/]+/.exec(w);
      if (top !== null) keep.add(top[0]);
    }
    const args = bwrapArguments(['/bin/sh', '-c', runner([...keep].sort())], {
      toolsRoot: this.#opts.toolsRoot,
      toolsEntries: topLevelEntries(this.#opts.toolsRoot ?? '/'),
      writable: this.#opts.writable,
      overlays: [{ source: fifos, target: RUN_DIRECTORY }],
      cwd: '/',
      env: {},
    });
    const child = spawn(bash, ['-c', CLOSE_INHERITED, 'sandbox', bwrap, ...args], { cwd: '/', env: {}, stdio: ['pipe', 'pipe', 'pipe', 'pipe'] });
    const r: Running = {
      child,
      replies: new ReplyLines(child),
      stderr: [],
      exited: new Promise((done) => child.on('close', (code) => done(code))),
    };
    child.stderr!.on('data', (c: Buffer) => r.stderr.push(c));
    child.stdio[3]!.on('data', () => {}); // bwrap's JSON status: not needed here
    this.#running = r;
    if ((await r.replies.next()) !== 'ready') {
      this.#running = undefined;
      const code = await r.exited;
      throw sandboxSetupError(Buffer.concat(r.stderr).toString('utf8'), code);
    }
    return r;
  }

  /** The sandbox ended under a command: it is not reused. */
  #lost(r: Running): Error {
    this.#running = undefined;
    r.child.kill('SIGKILL');
    const said = Buffer.concat(r.stderr).toString('utf8').trim().split('\n').slice(-5).join('\n');
    return new CrossrootError('HOST_SANDBOX_LOST', `the maintainer script sandbox ended unexpectedly${said === '' ? '' : `: ${said}`}`);
  }
}

/** The request line's part that names the command: `dir=... mask=... set -- K=V... ARGV...`. */
function commandRequest(argv: readonly string[], opts: SandboxCommandOptions): string {
  if (argv.length === 0) throw new Error('SandboxSession: empty command');
  // env(1) would take a first word with "=" for an assignment.
  if (argv[0]!.includes('=')) throw new CrossrootError('INSTALL_SANDBOX_COMMAND', `cannot run a command whose path contains "=": ${argv[0]}`);
  const words: string[] = [];
  for (const [k, v] of Object.entries(opts.env)) {
    if (!/^[^=\0]+$/.test(k) || v.includes('\0')) throw new CrossrootError('INSTALL_BAD_ENVIRONMENT', `not an environment variable: ${JSON.stringify(k)}`);
    words.push(`${k}=${v}`);
  }
  for (const a of argv) {
    if (a.includes('\0')) throw new CrossrootError('INSTALL_SANDBOX_COMMAND', `an argument contains a NUL byte: ${JSON.stringify(a)}`);
    words.push(a);
  }
  const mask = (opts.umask ?? 0o022).toString(8).padStart(4, '0');
  return `dir=${quote(opts.cwd)} mask=${mask}; set -- ${words.map(quote).join(' ')}`;
}

/** One shell word, single-quoted; a newline as '"$nl"' so that the request stays one line. */
function quote(s: string): string {
  return `'${s.replace(/'/g, "'\\''").replace(/\n/g, '\'"$nl"\'')}'`;
}
