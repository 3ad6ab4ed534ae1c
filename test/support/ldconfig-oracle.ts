// Real bookworm roots for the ld.so.cache oracle: mmdebstrap (root mode, essential, merged-/usr)
// leaves etc/ld.so.cache written by the target's own ldconfig inside the chroot (qemu-user).
import { execFile } from 'node:child_process';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './cli.js';
import { withEmulation } from './emulation.js';

const exec = promisify(execFile);
export const LDCONFIG_ORACLE_DIR = join(REPO_ROOT, '.cache', 'ldconfig-oracle');

/** The host's bookworm main mirror URI, from apt (no mirror name is written into the repo). */
async function bookwormUri(): Promise<string> {
  const { stdout } = await exec('apt-get', ['indextargets', '--format', '$(REPO_URI) $(RELEASE)', 'Identifier: Packages']);
  const line = stdout.split('\n').find((l) => l.split(' ')[1] === 'bookworm');
  if (line === undefined) throw new Error('the host has no bookworm apt source');
  return line.split(' ')[0]!;
}

/** ROOT of a cached essential bookworm build for ARCH, building it (2-4 minutes) if absent. */
export async function ldconfigOracleRoot(arch: string): Promise<string> {
  const dir = join(LDCONFIG_ORACLE_DIR, arch);
  const root = join(dir, 'root');
  if ((await stat(join(root, 'etc', 'ld.so.cache')).catch(() => undefined)) !== undefined) return root;
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `root.tmp-${process.pid}`);
  await rm(tmp, { recursive: true, force: true });
  const uri = await bookwormUri();
  await withEmulation(arch, () =>
    exec(
      'mmdebstrap',
      ['--mode=root', '--variant=essential', `--arch=${arch}`, '--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr',
        'bookworm', tmp, `deb ${uri} bookworm main`],
      { maxBuffer: 64 << 20 },
    ),
  );
  await rm(root, { recursive: true, force: true });
  await rename(tmp, root);
  return root;
}

/** Runs the target's ldconfig inside ROOT (binfmt qemu-user for foreign arches), no symlink updates. */
export async function runTargetLdconfig(root: string, arch: string): Promise<void> {
  await withEmulation(arch, () => exec('chroot', [root, '/sbin/ldconfig', '-X', '-i']));
}
