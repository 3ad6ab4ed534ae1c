// The skeleton of a new root — what mmdebstrap's run_setup (root mode) creates before any package.

import { chmod, readFile, stat } from 'node:fs/promises';
import { makeRootDirectory, writeRootFile } from './root-files.js';
import { TargetRoot } from './target-root.js';
import { ARCHITECTURES } from '../host/architectures.js';

export interface SkeletonOptions {
  /** Native architecture, then foreign ones: the lines of var/lib/dpkg/arch. */
  architectures: string[];
  /** The exact text of etc/apt/sources.list. */
  sourcesList: string;
  /** The text of etc/fstab (its mmdebstrap version's; default 1.3.5's one line). */
  fstab?: string;
  /** Host files copied in, as mmdebstrap does (its output depends on them; see mmdebstrap(1)). */
  hostFiles?: string[];
}

/**
 * Creates the skeleton mmdebstrap 1.3.5 makes in root mode (run_setup): the apt and dpkg
 * directories, `00mmdebstrap`, an empty `status`, `arch`, `fstab`, `sources.list`, and the
 * host's `resolv.conf` and `hostname` with their modes. Root mode's directory set is used
 * because the reference is a root-mode build; the files a chrootless dpkg would create
 * later exist from the start, with the same content.
 *
 * @example
 * await createSkeleton('/tmp/root', { architectures: ['arm64'], sourcesList: 'deb URI bookworm main\n' });
 */
export async function createSkeleton(root: string, opts: SkeletonOptions): Promise<void> {
  const dirs = [
    'etc/apt/apt.conf.d',
    'etc/apt/sources.list.d',
    'etc/apt/preferences.d',
    'var/cache/apt',
    'var/lib/apt/lists/partial',
    'tmp',
    'var/lib/dpkg',
    'etc/dpkg/dpkg.cfg.d',
    'var/log/apt',
    'var/lib/dpkg/triggers',
    'var/lib/dpkg/info',
    'var/lib/dpkg/alternatives',
    'var/lib/dpkg/updates',
  ];
  // Through the root guard, as every write crossroot makes into a root: a root given here
  // may already hold symlinks (a library caller's), and none is followed out of it.
  const guard = new TargetRoot(root);
  for (const d of dirs) await makeRootDirectory(guard, d);
  await chmod(await makeRootDirectory(guard, 'tmp'), 0o1777);
  const file = (path: string, text: string | Buffer, mode = 0o644) => writeRootFile(guard, path, text, mode);
  await file('etc/apt/apt.conf.d/00mmdebstrap', 'Apt::Install-Recommends false;\nAcquire::Languages "none";\n');
  await file('var/lib/dpkg/status', '');
  await file('var/lib/dpkg/arch', opts.architectures.map((a) => `${a}\n`).join(''));
  await file('etc/fstab', opts.fstab ?? '# UNCONFIGURED FSTAB FOR BASE SYSTEM\n');
  await file('etc/apt/sources.list', opts.sourcesList);
  for (const host of opts.hostFiles ?? ['/etc/resolv.conf', '/etc/hostname']) {
    const st = await stat(host).catch(() => undefined);
    if (st === undefined) continue;
    await file(host.replace(/^\/+/, ''), await readFile(host), st.mode & 0o7777);
  }
}

/** The merged-/usr links of mmdebstrap's merged-usr setup hook, per architecture. */
export function mergedUsrDirectories(arch: string): string[] {
  return ['bin', 'sbin', 'lib', ...(ARCHITECTURES.get(arch)?.mergedUsrExtra ?? [])];
}
