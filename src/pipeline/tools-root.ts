// The tools root — the target suite's own tools for the host's architecture, presented as `/` to
// every maintainer script, helper and writer of a build (DESIGN.md "The tools root").
//
// Chrootless scripts call dpkg-divert, dpkg-trigger, update-alternatives, debconf,
// pam-auth-update, update-shells, perl, coreutils; GNU tar writes the tarball. When those are
// the build host's and the host's suite is not the target's, the bytes differ (trixie built on
// bookworm: pam-auth-update drops pam_umask, update-shells writes merged-/usr shells twice; tar
// 1.35 and 1.34 write different headers). So a build first makes (once, cached) the same
// package set — same suite, variant and --include — resolved for the host's architecture and
// installed "the normal way": its own dpkg run inside it, natively, as `crossroot reference`
// does. It is cached under CACHE/tools-v1/<digest of its lockfile>, published by one rename
// (a tree at its final name is complete; an interrupted one is at a temporary name nobody
// trusts), and reused by every later build of the same set.

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CrossrootError } from '../errors.js';
import { hostArchitecture } from '../host/arch.js';
import { formatLock } from '../resolve/lockfile.js';
import type { BuildOptions } from './build.js';
import { resolveSuite, type Resolved } from './resolve.js';

/** `auto`: the tools root of the target suite (built once, cached); `host`: the build host's own tools; else a directory. */
export type ToolsRootChoice = 'auto' | 'host' | (string & {});

/** Bumped when the way a tools root is made changes, so older ones are not reused. */
export const TOOLS_ROOT_DIR = 'tools-v1';

/** Whether a tree can serve as a tools root: it has an installed dpkg and a shell. */
function looksLikeToolsRoot(dir: string): boolean {
  return existsSync(join(dir, 'var/lib/dpkg/status')) && (existsSync(join(dir, 'usr/bin/sh')) || existsSync(join(dir, 'bin/sh')));
}

/**
 * `--include` names for the tools root: those of another architecture (`name:arch`) are left
 * out, the host's architecture cannot install them without multi-arch.
 */
function hostIncludes(include: string[], host: string): string[] {
  return include
    .flatMap((s) => s.split(/[,\s]+/))
    .filter(Boolean)
    .filter((n) => {
      const arch = /^[^:=]+:([^=]+)/.exec(n)?.[1];
      return arch === undefined || arch === host || arch === 'any' || arch === 'native';
    });
}

/**
 * The tools root named by `--tools-root host|DIR` (checked now), or `undefined` for `auto`.
 *
 * @example
 * givenToolsRoot({ ...opts, toolsRoot: 'host' }); // '/'
 */
export function givenToolsRoot(opts: Pick<BuildOptions, 'toolsRoot'>): string | undefined {
  const choice = opts.toolsRoot ?? 'auto';
  if (choice === 'auto') return undefined;
  if (choice === 'host') return '/';
  const dir = resolve(choice);
  if (!looksLikeToolsRoot(dir)) {
    throw new CrossrootError('USAGE_TOOLS_ROOT', '--tools-root DIR must be a root with dpkg installed (var/lib/dpkg/status) and /bin/sh', { path: dir });
  }
  return dir;
}

/**
 * The directory to present as `/` to the scripts and writers of a build of `opts`.
 *
 * @example
 * const tools = await toolsRootFor({ ...opts, toolsRoot: 'auto' }, buildRoot); // '~/.cache/crossroot/tools-v1/3f…'
 */
export async function toolsRootFor(
  opts: BuildOptions,
  build: (opts: BuildOptions, given?: Resolved) => Promise<Resolved>,
  target?: Resolved,
): Promise<string> {
  const given = givenToolsRoot(opts);
  if (given !== undefined) return given;
  const log = opts.log ?? (() => {});
  const host = hostArchitecture();
  const toolsOpts: BuildOptions = {
    ...opts,
    arch: host,
    include: hostIncludes(opts.include, host),
    lock: undefined,
    lockFile: undefined,
    installer: 'chroot',
    // A cache entry, not an output: dpkg's per-file fsync(2) costs seconds; one sync at the end.
    unsafeIo: true,
    toolsRoot: 'host',
    devices: false,
    progress: undefined,
    // The user's output choices and hooks are the target's, not the tools root's.
    format: 'directory',
    hooks: undefined,
  };
  // A build for the host's own architecture already resolved the same set (no lock: a lock
  // fixes the target's set, the tools root follows the mirror).
  const same = target !== undefined && opts.arch === host && opts.lock === undefined && toolsOpts.include.join(',') === opts.include.join(',');
  const resolved = same ? target : await resolveSuite(toolsOpts);
  const digest = createHash('sha256').update(`${TOOLS_ROOT_DIR}\n${formatLock(resolved.lock)}`).digest('hex');
  const dir = join(opts.cache.dir, TOOLS_ROOT_DIR, digest.slice(0, 32));
  if (looksLikeToolsRoot(dir)) {
    log(`reusing the tools root (${opts.suite} ${opts.variant} for ${host}, ${resolved.lock.packages.length} packages): ${dir}`);
    return dir;
  }
  log(`building the tools root: ${opts.suite} ${opts.variant} for ${host} (${resolved.lock.packages.length} packages), installed by its own dpkg`);
  await mkdir(join(opts.cache.dir, TOOLS_ROOT_DIR), { recursive: true });
  try {
    await build({ ...toolsOpts, target: dir, workParent: join(opts.cache.dir, TOOLS_ROOT_DIR), log: (l) => log(`tools root: ${l}`) }, resolved);
  } catch (err) {
    // Another build published the same tools root first: use it.
    if (looksLikeToolsRoot(dir)) return dir;
    if (err instanceof CrossrootError && !err.code.startsWith('HOST_') && !err.code.startsWith('USAGE_')) {
      throw new CrossrootError(
        err.code,
        `building the tools root (${opts.suite} ${opts.variant} for ${host}) failed: ${err.detail}\n` +
          '(an archive that cannot make a working root of its own, such as a few local packages, can be built with --tools-root host)',
        err.context,
      );
    }
    throw err;
  }
  log(`tools root ready: ${dir}`);
  return dir;
}
