// Maintainer script runner — one script, run as `dpkg --root=ROOT --force-script-chrootless` runs it (dpkg src/main/script.c, main.c).
//
// What dpkg 1.21.23 does in chrootless mode, and what is done here (checked against the
// real dpkg by test/install/maintscript.test.ts):
// - the process inherits dpkg's environment, to which main.c adds DPKG_ADMINDIR (the full
//   host path of ROOT/var/lib/dpkg), DPKG_ROOT (ROOT, trailing slashes trimmed) and
//   DPKG_FORCE (the enabled force options, in dpkg's table order), and script.c adds
//   DPKG_MAINTSCRIPT_PACKAGE (no arch qualifier), DPKG_MAINTSCRIPT_PACKAGE_REFCOUNT,
//   DPKG_MAINTSCRIPT_ARCH (the Architecture field: `all` for arch:all),
//   DPKG_MAINTSCRIPT_NAME, DPKG_MAINTSCRIPT_DEBUG (`0`) and DPKG_RUNNING_VERSION (the running
//   dpkg's: here the dpkg of the tools root, whose helpers the scripts call);
// - no chroot; the working directory is ROOT; umask 022; stdin as dpkg's (here /dev/null);
// - argv[0] is the full host path of the script: ROOT/var/lib/dpkg/tmp.ci/preinst for the
//   new package's scripts (preinst), ROOT/var/lib/dpkg/info/PKG.SCRIPT otherwise
//   (PKG:ARCH.SCRIPT for Multi-Arch: same). It matters: debconf's confmodule re-executes
//   "$0" through /usr/share/debconf/frontend, which finds PKG.config and PKG.templates (or
//   tmp.ci/config) next to it;
// - a script that does not exist is not run, and is no error;
// - a script without execute permission for everyone is chmod 0755 first (setexecute()).
//
// The environment dpkg inherits is mmdebstrap's (notes/mmdebstrap.md §6): it sets
// DEBIAN_FRONTEND=noninteractive, DEBCONF_NONINTERACTIVE_SEEN=true, LC_ALL, LANGUAGE and
// LANG=C.UTF-8, TMPDIR=ROOT/tmp, passes SOURCE_DATE_EPOCH, and runs dpkg with
// --force-not-root --force-script-chrootless --force-depends. Nothing else of the caller's
// environment is passed (STYLE rule 13): mmdebstrap passes all of it, which makes scripts'
// behaviour depend on whoever runs the build. PATH is apt's DPkg::Path default, not the
// caller's PATH plus that as mmdebstrap has it: inside the sandbox `/` is the tools root,
// where the caller's PATH means nothing, and /usr/local would let host-local programs shadow
// the packaged ones. APT_CONFIG (mmdebstrap's temporary apt.conf) is not set: crossroot has
// none; pass it in `extraEnv` if a script ever needs apt-config to see the target.
//
// Where this differs from plain dpkg: the script runs in the sandbox (sandbox.ts; a build
// keeps one open for all its scripts, sandbox-session.ts), and the executed file may be a
// patch (patches.ts), shown read-only at the stored script's path so that "$0" and
// debconf's re-execution see the same bytes.

import { chmod, copyFile, mkdtemp, realpath, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { removeOnInterrupt } from '../host/interrupt.js';
import { workDirectoryPrefix } from '../host/stale.js';
import { CrossrootError } from '../errors.js';
import { runInSandbox, sandboxDirectory, type SandboxOverlay } from './sandbox.js';
import type { SandboxSession } from './sandbox-session.js';
import { installedDpkgVersion } from './tools-dpkg.js';

export type MaintainerScriptName = 'preinst' | 'postinst' | 'prerm' | 'postrm';

/**
 * dpkg's force options in the order of its table (src/common/force.c); DPKG_FORCE lists
 * the enabled ones in this order.
 */
export const DPKG_FORCE_OPTIONS: readonly string[] = [
  'security-mac',
  'downgrade',
  'configure-any',
  'hold',
  'not-root',
  'bad-path',
  'bad-verify',
  'bad-version',
  'statoverride-add',
  'statoverride-remove',
  'overwrite',
  'overwrite-diverted',
  'overwrite-dir',
  'unsafe-io',
  'script-chrootless',
  'confnew',
  'confold',
  'confdef',
  'confmiss',
  'confask',
  'architecture',
  'breaks',
  'conflicts',
  'depends',
  'depends-version',
  'remove-reinstreq',
  'remove-protected',
  'remove-essential',
];

/** dpkg's forces enabled by default (`[*]` in `dpkg --force-help`). */
const DEFAULT_FORCES = ['security-mac', 'downgrade'];

/**
 * DPKG_FORCE as dpkg computes it for a set of enabled force options: table order, commas.
 *
 * @example
 * dpkgForceString(['depends', 'not-root', 'security-mac']); // 'security-mac,not-root,depends'
 */
export function dpkgForceString(enabled: Iterable<string>): string {
  const set = new Set(enabled);
  for (const f of set) {
    if (!DPKG_FORCE_OPTIONS.includes(f)) throw new Error(`unknown dpkg force option: ${f}`);
  }
  return DPKG_FORCE_OPTIONS.filter((f) => set.has(f)).join(',');
}

/**
 * DPKG_FORCE of mmdebstrap's chrootless `dpkg --force-not-root --force-script-chrootless
 * --install --force-depends` on a host whose /etc/dpkg/dpkg.cfg{,.d} enables no force
 * option. (apt's later calls lack `depends`.)
 */
export const DEFAULT_DPKG_FORCE = dpkgForceString([...DEFAULT_FORCES, 'not-root', 'script-chrootless', 'depends']);

/** apt's default DPkg::Path, the PATH scripts get. */
export const SCRIPT_PATH = '/usr/sbin:/usr/bin:/sbin:/bin';

/** Lines of stderr quoted in a failure message. */
const STDERR_TAIL_LINES = 20;

export interface MaintainerScriptRun {
  /** The target root (host path). Never `/`. */
  root: string;
  /** The package name, without arch qualifier. */
  package: string;
  /** The package's Architecture field (`all` for arch:all packages). */
  arch: string;
  /** Multi-Arch: same, so its info files are named `PKG:ARCH.*`. */
  multiArchSame: boolean;
  script: MaintainerScriptName;
  /** The arguments after the script name, e.g. `['configure', '']` for a fresh install. */
  args: readonly string[];
  /**
   * The file to execute: the stored script, or a patch from {@link scriptToExecute}. Either
   * way the script runs as (and sees "$0" =) the stored script's path.
   */
  scriptPath: string;
  /** SOURCE_DATE_EPOCH for the script; undefined: not set. */
  sourceDateEpoch: number | undefined;
  /**
   * Added to the inherited environment, overriding mmdebstrap's values (dpkg's own
   * variables still win, as dpkg's setenv() overwrites inherited ones).
   */
  extraEnv?: Readonly<Record<string, string>>;
  /** The tree scripts see as `/` (read-only). Default `/`: the host. */
  toolsRoot?: string;
  /**
   * A sandbox kept open for the build (sandbox-session.ts), writable root `root`, same tools
   * root: the script runs in it instead of a sandbox of its own. Not for a patched script
   * (its replacement is bound over the stored one in a sandbox of its own).
   */
  session?: SandboxSession;
  /**
   * Where dpkg runs it from: `tmp.ci` (the new package's control area: preinst, and the new
   * package's prerm/postrm fallbacks) or `info` (installed scripts). Default: `tmp.ci` for
   * preinst, `info` for the others.
   */
  from?: 'info' | 'tmp.ci';
  /** DPKG_MAINTSCRIPT_PACKAGE_REFCOUNT: installed instances of the package (Multi-Arch). Default 1. */
  refcount?: number;
  /** DPKG_FORCE; default {@link DEFAULT_DPKG_FORCE}. */
  force?: string;
  /** DPKG_RUNNING_VERSION; default: the version of the dpkg installed in the tools root (whose helpers the script runs). */
  dpkgVersion?: string;
  /** Kill the script after this long. */
  timeoutMs?: number;
  /** Output as it comes. */
  onOutput?: (stream: 'stdout' | 'stderr', chunk: Buffer) => void;
}

export interface MaintainerScriptResult {
  /** False when the package has no such script (dpkg then does nothing). */
  ran: boolean;
  /** argv[0] as the script got it. */
  argv0: string;
  stdout: string;
  stderr: string;
}

/** A maintainer script exited non-zero. */
export class MaintainerScriptError extends CrossrootError {
  readonly script: MaintainerScriptName;
  readonly args: readonly string[];
  readonly exitCode: number;
  readonly stderrTail: string;

  constructor(run: MaintainerScriptRun, exitCode: number, stdout: string, stderr: string) {
    const tail = lastLines(stderr, STDERR_TAIL_LINES);
    // With nothing on stderr, what the script printed on stdout is the best clue.
    const quoted = tail !== '' ? tail : lastLines(stdout, STDERR_TAIL_LINES);
    const action = run.args.length > 0 && run.args[0] !== '' ? `${run.script} ${run.args[0]}` : run.script;
    const head = `${action} of ${nonAmbiguousName(run)} failed (exit ${exitCode})`;
    const body = quoted === '' ? '' : `\n${quoted.replace(/^/gm, '  ')}`;
    super('INSTALL_SCRIPT_FAILED', head + body);
    this.name = 'MaintainerScriptError';
    this.script = run.script;
    this.args = [...run.args];
    this.exitCode = exitCode;
    this.stderrTail = tail;
  }
}

/**
 * The path dpkg executes (and passes as argv[0]) for a script, in chrootless mode.
 *
 * @example
 * maintainerScriptPath('/srv/root', { package: 'libc6', arch: 'arm64', multiArchSame: true, script: 'postinst' });
 * // '/srv/root/var/lib/dpkg/info/libc6:arm64.postinst'
 */
export function maintainerScriptPath(
  root: string,
  s: Pick<MaintainerScriptRun, 'package' | 'arch' | 'multiArchSame' | 'script' | 'from'>,
): string {
  const admindir = `${trimRoot(root)}/var/lib/dpkg`;
  const from = s.from ?? (s.script === 'preinst' ? 'tmp.ci' : 'info');
  if (from === 'tmp.ci') return `${admindir}/tmp.ci/${s.script}`;
  return `${admindir}/info/${s.package}${s.multiArchSame ? `:${s.arch}` : ''}.${s.script}`;
}

/** What mmdebstrap sets for everything it runs (its main(), notes §6), PATH as inside the sandbox. */
export const MMDEBSTRAP_ENVIRONMENT: Readonly<Record<string, string>> = {
  PATH: SCRIPT_PATH,
  DEBIAN_FRONTEND: 'noninteractive',
  DEBCONF_NONINTERACTIVE_SEEN: 'true',
  LC_ALL: 'C.UTF-8',
  LANGUAGE: 'C.UTF-8',
  LANG: 'C.UTF-8',
};

/**
 * The script's whole environment: mmdebstrap's (see the top of this file), `extraEnv`,
 * then dpkg's variables.
 *
 * @example
 * maintainerScriptEnvironment({ root: '/srv/root', package: 'dash', arch: 'amd64', multiArchSame: false,
 *   script: 'postinst', args: ['configure', ''], scriptPath: '…', sourceDateEpoch: 1700000000 });
 * // { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', DEBIAN_FRONTEND: 'noninteractive', …,
 * //   DPKG_ROOT: '/srv/root', DPKG_ADMINDIR: '/srv/root/var/lib/dpkg', DPKG_MAINTSCRIPT_NAME: 'postinst', … }
 */
export function maintainerScriptEnvironment(run: MaintainerScriptRun): Record<string, string> {
  const root = trimRoot(run.root);
  const env: Record<string, string> = { ...MMDEBSTRAP_ENVIRONMENT, TMPDIR: `${root}/tmp` };
  if (run.sourceDateEpoch !== undefined) {
    if (!Number.isSafeInteger(run.sourceDateEpoch) || run.sourceDateEpoch < 0) {
      throw new CrossrootError('INSTALL_BAD_SOURCE_DATE_EPOCH', `SOURCE_DATE_EPOCH must be a non-negative integer, not ${run.sourceDateEpoch}`);
    }
    env.SOURCE_DATE_EPOCH = String(run.sourceDateEpoch);
  }
  for (const [k, v] of Object.entries(run.extraEnv ?? {})) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) || v.includes('\0')) {
      throw new CrossrootError('INSTALL_BAD_ENVIRONMENT', `not an environment variable: ${JSON.stringify(k)}`);
    }
    env[k] = v;
  }
  // main.c, before any action.
  env.DPKG_ADMINDIR = `${root}/var/lib/dpkg`;
  env.DPKG_ROOT = root;
  env.DPKG_FORCE = run.force ?? DEFAULT_DPKG_FORCE;
  // script.c, in the forked child.
  env.DPKG_MAINTSCRIPT_PACKAGE = run.package;
  env.DPKG_MAINTSCRIPT_PACKAGE_REFCOUNT = String(run.refcount ?? 1);
  env.DPKG_MAINTSCRIPT_ARCH = run.arch;
  env.DPKG_MAINTSCRIPT_NAME = run.script;
  env.DPKG_MAINTSCRIPT_DEBUG = '0';
  env.DPKG_RUNNING_VERSION = run.dpkgVersion ?? installedDpkgVersion(run.toolsRoot ?? run.session?.toolsRoot ?? '/');
  return env;
}

/**
 * Runs one maintainer script the way dpkg does in chrootless mode, inside the sandbox.
 * Throws {@link MaintainerScriptError} (`INSTALL_SCRIPT_FAILED`) when it exits non-zero;
 * a script the package does not have is not run (`ran: false`).
 *
 * @example
 * const root = '/srv/root';
 * const stored = maintainerScriptPath(root, { package: 'base-files', arch: 'arm64', multiArchSame: false, script: 'postinst' });
 * await runMaintainerScript({
 *   root, package: 'base-files', arch: 'arm64', multiArchSame: false, script: 'postinst', args: ['configure', ''],
 *   scriptPath: await scriptToExecute(root, 'base-files', '12.4+deb12u5', 'postinst', stored),
 *   sourceDateEpoch: 1700000000,
 * });
 * // on failure: "postinst configure of base-files failed (exit 1)" and the last lines of its stderr
 */
export async function runMaintainerScript(run: MaintainerScriptRun): Promise<MaintainerScriptResult> {
  checkName(run.package, /^[a-z0-9][a-z0-9+.-]+$/, 'package name');
  checkName(run.arch, /^[a-z0-9][a-z0-9-]*$/, 'architecture');
  const root = sandboxDirectory(run.root, 'the target root');
  if (root === '/') {
    throw new CrossrootError('INSTALL_ROOT_IS_HOST', 'refusing to run maintainer scripts chrootless with the host as target root');
  }
  const canonical = { ...run, root };
  const stored = maintainerScriptPath(root, run);
  // The stored script, named through the root as given or as resolved, is no replacement.
  const given = resolve(run.scriptPath);
  const executed = given === maintainerScriptPath(resolve(run.root), run) ? stored : given;
  const storedStat = await stat(stored).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (storedStat === undefined) {
    if (executed === stored) return { ran: false, argv0: stored, stdout: '', stderr: '' };
    throw new CrossrootError('INSTALL_SCRIPT_MISSING', `${run.script} of ${nonAmbiguousName(run)} is to be replaced by ${executed}, but the package has none`, {
      path: stored,
    });
  }
  // The chmod below runs on the host: never through a symlink out of the root.
  const real = await realpath(stored);
  if (!real.startsWith(`${root}/`) || !storedStat.isFile()) {
    throw new CrossrootError('INSTALL_UNSAFE_PATH', `${run.script} of ${nonAmbiguousName(run)} is not a regular file inside the root`, { path: stored });
  }
  // dpkg's setexecute(): the stored script ends up 0755 if anyone lacked r or x.
  if ((storedStat.mode & 0o555) !== 0o555) await chmod(real, 0o755);

  const env = maintainerScriptEnvironment(canonical);
  let scratch: string | undefined;
  let forgetScratch = (): void => {};
  try {
    const overlays: SandboxOverlay[] = [];
    if (executed !== stored) {
      // A private executable copy: the patch file's own mode and later edits do not matter.
      scratch = await mkdtemp(workDirectoryPrefix('script'));
      forgetScratch = removeOnInterrupt(scratch);
      const copy = join(scratch, run.script);
      await copyFile(executed, copy);
      await chmod(copy, 0o755);
      overlays.push({ source: copy, target: stored });
    }
    const command = { cwd: root, env, timeoutMs: run.timeoutMs, onOutput: run.onOutput };
    const session = overlays.length === 0 ? run.session : undefined;
    if (session !== undefined && (resolve(session.toolsRoot) !== resolve(run.toolsRoot ?? '/') || !session.writable.includes(root))) {
      throw new Error(`runMaintainerScript: the session is not for ${root} with tools root ${run.toolsRoot ?? '/'}`);
    }
    const result =
      session !== undefined
        ? await session.run([stored, ...run.args], command)
        : await runInSandbox([stored, ...run.args], { ...command, toolsRoot: run.toolsRoot, writable: [root], overlays });
    if (result.exitCode !== 0) throw new MaintainerScriptError(canonical, result.exitCode, result.stdout, result.stderr);
    return { ran: true, argv0: stored, stdout: result.stdout, stderr: result.stderr };
  } finally {
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
    forgetScratch();
  }
}

/** dpkg's pnaw_nonambig name: `PKG:ARCH` for Multi-Arch: same. */
function nonAmbiguousName(run: Pick<MaintainerScriptRun, 'package' | 'arch' | 'multiArchSame'>): string {
  return run.multiArchSame ? `${run.package}:${run.arch}` : run.package;
}

/** dpkg's path_trim_slash_slashdot(): no trailing `/` or `/.`. */
function trimRoot(root: string): string {
  let r = root;
  for (;;) {
    if (r.length > 1 && r.endsWith('/')) r = r.slice(0, -1);
    else if (r.length > 2 && r.endsWith('/.')) r = r.slice(0, -2);
    else return r === '/' ? '' : r;
  }
}

function checkName(value: string, pattern: RegExp, what: string): void {
  if (!pattern.test(value)) throw new CrossrootError('INSTALL_BAD_NAME', `not a valid ${what}: ${JSON.stringify(value)}`);
}

function lastLines(text: string, n: number): string {
  const lines = text.replace(/\n+$/, '').split('\n');
  return lines.slice(-n).join('\n').trimEnd();
}
