// Real roots for the ld.so.cache oracle: mmdebstrap (root mode, essential, merged-/usr) leaves
// etc/ld.so.cache written by the target's own ldconfig inside the chroot (qemu-user) — bookworm
// for most architectures, trixie for riscv64 (not in bookworm), each suite's glibc. For an
// architecture the host's qemu cannot run (sid's loong64 on bookworm's qemu 7.2, which
// mmdebstrap 1.3.5 knows no qemu for either), the root is `crossroot reference`'s: the target's
// own dpkg inside it, libc-bin's trigger running its ldconfig, through the qemu-user of the
// suite's archive registered in a private binfmt_misc (src/pipeline/emulator.ts).
import { execFile } from 'node:child_process';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { hostCanRun, runInRoot } from '../../src/install/chroot.js';
import { emulatorFor, type Emulator } from '../../src/pipeline/emulator.js';
import { Cache } from '../../src/repository/cache.js';
import { CLI, REPO_ROOT } from './cli.js';
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
  if (!(await hostCanRun(arch))) {
    await exec(process.execPath, [CLI, 'reference', '--cache-dir', join(REPO_ROOT, '.cache', 'archive'), '--arch', arch, '--variant', 'essential', suite, tmp, main!], {
      maxBuffer: 64 << 20,
      env: { ...process.env, SOURCE_DATE_EPOCH: '1700000000' },
    });
    await rm(root, { recursive: true, force: true });
    await rename(tmp, root);
    return root;
  }
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

/** The qemu-user crossroot takes from SUITE's archive for ARCH (the host's cannot run it). */
export async function archiveEmulator(arch: string, suite: string): Promise<Emulator> {
  return emulatorFor({
    suite, arch, variant: 'essential', include: [], mirrors: await suiteMirrorLines(suite), components: undefined, keyrings: undefined, insecure: false,
    cache: new Cache(join(REPO_ROOT, '.cache', 'archive')),
  });
}

/**
 * Runs the target's ldconfig inside ROOT, no symlink updates: through the host's binfmt
 * qemu-user, or, where that cannot run ARCH, through the one of SUITE's archive, registered
 * for this run only.
 */
export async function runTargetLdconfig(root: string, arch: string, suite = 'bookworm'): Promise<void> {
  if (await hostCanRun(arch)) {
    await withEmulation(arch, () => exec('chroot', [root, '/sbin/ldconfig', '-X', '-i']));
    return;
  }
  const e = await archiveEmulator(arch, suite);
  const r = await runInRoot(root, ['/sbin/ldconfig', '-X', '-i'], { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' }, e.binfmt);
  if (r.exitCode !== 0) throw new Error(`${arch} ldconfig through ${e.package} ${e.version}'s qemu: exit ${r.exitCode}: ${r.stderr}`);
}
