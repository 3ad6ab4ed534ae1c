// Real roots for the ld.so.cache oracle: mmdebstrap (root mode, essential, merged-/usr) leaves
// etc/ld.so.cache written by the target's own ldconfig inside the chroot (qemu-user) — bookworm
// for most architectures, trixie for riscv64 (not in bookworm), each suite's glibc.
import { execFile } from 'node:child_process';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './cli.js';
import { withEmulation } from './emulation.js';
import { suiteMirrorLines } from './suite-oracle.js';

const exec = promisify(execFile);
export const LDCONFIG_ORACLE_DIR = join(REPO_ROOT, '.cache', 'ldconfig-oracle');

/** ROOT of a cached essential SUITE build for ARCH, building it (2-10 minutes) if absent. */
export async function ldconfigOracleRoot(arch: string, suite = 'bookworm'): Promise<string> {
  const dir = join(LDCONFIG_ORACLE_DIR, suite === 'bookworm' ? arch : `${suite}-${arch}`);
  const root = join(dir, 'root');
  if ((await stat(join(root, 'etc', 'ld.so.cache')).catch(() => undefined)) !== undefined) return root;
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `root.tmp-${process.pid}`);
  await rm(tmp, { recursive: true, force: true });
  const [main] = await suiteMirrorLines(suite);
  await withEmulation(arch, () =>
    exec(
      'mmdebstrap',
      ['--mode=root', '--variant=essential', `--arch=${arch}`, '--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr',
        suite, tmp, main!],
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
