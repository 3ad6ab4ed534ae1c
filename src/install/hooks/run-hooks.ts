// Running hooks — mmdebstrap 1.3.5's `run_hooks` (1582-1790): the environment it exports, a
// special hook, an executable or a plain command run directly with the root as $1, anything
// else through `sh -c CMD exec ROOT`. Unlike mmdebstrap, every hook runs in the sandbox: the
// host as a read-only `/`, the root writable (unless the user opts out, loudly).

import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { CrossrootError } from '../../errors.js';
import { runInSandbox } from '../sandbox.js';
import type { Hook, HookStage } from './hook-list.js';
import { isSpecialHook, runSpecialHook } from './special-hooks.js';

/** What a hook run needs to know of the build. */
export interface HookContext {
  /** The root being built (a host path, no trailing slash). */
  root: string;
  /** mmdebstrap's mode the build stands for: `chrootless` (crossroot build) or `root` (reference). */
  mode: 'chrootless' | 'root';
  /** The base environment (mmdebstrap's: PATH, locale, SOURCE_DATE_EPOCH, ...). */
  env: Readonly<Record<string, string>>;
  /** --include as given (MMDEBSTRAP_INCLUDE). */
  include: readonly string[];
  /** The essential set's .debs as paths inside the root (MMDEBSTRAP_ESSENTIAL, extract hooks only). */
  essential?: readonly string[];
  /** crossroot's own variables: CROSSROOT_SUITE, CROSSROOT_ARCH, CROSSROOT_VARIANT. */
  suite: string;
  arch: string;
  variant: string;
  /** A private work directory beside the root (special hooks stage tarballs there). */
  scratch: string;
  /**
   * WARNING: run hooks on the host itself, not in the sandbox (`--hooks-outside-sandbox`):
   * a hook can then write anywhere the user can.
   */
  outsideSandbox?: boolean;
  /** A hook's own output, as it comes (the CLI passes it to stderr). */
  output?: (chunk: Buffer) => void;
}

/**
 * The environment of a hook: the base environment, then what mmdebstrap exports (1604-1652:
 * no TMPDIR or APT_CONFIG; MMDEBSTRAP_MODE, _HOOK, _VERBOSITY, _INCLUDE with `%` and `,`
 * percent-encoded, _ESSENTIAL for extract hooks), then crossroot's own. Left out, because
 * crossroot has no such thing: MMDEBSTRAP_APT_CONFIG, MMDEBSTRAP_HOOKSOCK and MMDEBSTRAP_ARGV0
 * (no `--hook-helper`; the special hooks are run by crossroot itself).
 */
export function hookEnvironment(stage: HookStage, ctx: HookContext): Record<string, string> {
  const env: Record<string, string> = { ...ctx.env };
  delete env.TMPDIR;
  delete env.APT_CONFIG;
  env.MMDEBSTRAP_MODE = ctx.mode;
  env.MMDEBSTRAP_HOOK = stage;
  env.MMDEBSTRAP_VERBOSITY = '1';
  env.MMDEBSTRAP_INCLUDE = ctx.include.map((i) => i.replace(/%/g, '%25').replace(/,/g, '%2C')).join(',');
  if (stage === 'extract' && ctx.essential !== undefined && ctx.essential.length > 0) env.MMDEBSTRAP_ESSENTIAL = ctx.essential.join(' ');
  env.CROSSROOT_SUITE = ctx.suite;
  env.CROSSROOT_ARCH = ctx.arch;
  env.CROSSROOT_VARIANT = ctx.variant;
  return env;
}

/** Whether mmdebstrap runs `script` directly (an executable, or no shell metacharacter: 1749). */
function runsDirectly(script: string): boolean {
  try {
    accessSync(script, constants.X_OK);
    return true;
  } catch {
    return !/[^\w@%+=:,./-]/.test(script);
  }
}

/** argv on the host, with the environment given; the exit code and the tail of stderr. */
function runOnHost(argv: readonly string[], env: Record<string, string>, output?: (c: Buffer) => void): Promise<{ exitCode: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => output?.(c));
    child.stderr.on('data', (c: Buffer) => {
      output?.(c);
      stderr = (stderr + c.toString()).slice(-65536);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ exitCode: code ?? 128 + (signal === null ? 0 : 9), stderr }));
  });
}

/**
 * Runs argv as a hook is run: in the sandbox — the host as a read-only `/`, but for the
 * sandbox's own /tmp and /run (private tmpfs), the root writable — or, opted out, on the host.
 */
export async function runAsHook(
  argv: readonly string[],
  env: Record<string, string>,
  ctx: HookContext,
  binds: { writable?: readonly string[]; readOnly?: readonly string[] } = {},
): Promise<{ exitCode: number; stderr: string }> {
  if (ctx.outsideSandbox === true) return runOnHost(argv, env, ctx.output);
  return runInSandbox(argv, {
    toolsRoot: '/',
    writable: [ctx.root, ...(binds.writable ?? [])],
    readOnly: binds.readOnly,
    // mmdebstrap's hooks run where it was started; a directory under the sandbox's private
    // /tmp or /run is not there, so they start at / (paths given are absolute then).
    cwd: /^\/(tmp|run)(\/|$)/.test(process.cwd()) ? '/' : process.cwd(),
    env,
    onOutput: ctx.output === undefined ? undefined : (_s, c) => ctx.output!(c),
  });
}

/**
 * Runs the hooks of `stage`, in order. A failing hook is an INSTALL_HOOK_FAILED error (exit 3)
 * naming it, with the tail of its stderr; nothing after it runs.
 *
 * @example
 * await runHooks('customize', hooks, { root, mode: 'chrootless', env, include: [], ... });
 */
export async function runHooks(stage: HookStage, hooks: readonly Hook[], ctx: HookContext): Promise<void> {
  for (const hook of hooks) {
    if (hook.stage !== stage) continue;
    const env = hookEnvironment(stage, ctx);
    const what = `${hook.origin} ${JSON.stringify(hook.command)}`;
    if (isSpecialHook(hook.command)) {
      await runSpecialHook(hook, env, ctx);
      continue;
    }
    const argv = runsDirectly(hook.command) ? [hook.command, ctx.root] : ['sh', '-c', hook.command, 'exec', ctx.root];
    const r = await runAsHook(argv, env, ctx);
    if (r.exitCode !== 0) {
      const tail = r.stderr.trim().split('\n').slice(-10).join('\n');
      throw new CrossrootError('INSTALL_HOOK_FAILED', `${what} failed (exit ${r.exitCode})${tail === '' ? '' : `\n${tail}`}`);
    }
  }
}
