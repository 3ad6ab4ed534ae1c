// crossroot's own writes into a root: each attack a package (or its script) can set up is refused or kept inside the root.
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CrossrootError, exitCodeFor } from '../../src/errors.js';
import { linkIntoRoot, readRootFile, removeRootFile, writeRootFile } from '../../src/install/root-files.js';
import { TargetRoot } from '../../src/install/target-root.js';

let work = '';
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'crossroot-root-files-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** WORK/case/root and WORK/case/host, the host directory a hostile root points at. */
async function scene(name: string): Promise<{ root: TargetRoot; rootDir: string; host: string }> {
  const rootDir = join(work, name, 'root');
  const host = join(work, name, 'host');
  await mkdir(rootDir, { recursive: true });
  await mkdir(host, { recursive: true });
  return { root: new TargetRoot(rootDir), rootDir, host };
}

async function refused(p: Promise<unknown>, name: string): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CrossrootError);
  expect((err as CrossrootError).code).toBe('INSTALL_UNSAFE_PATH');
  expect(exitCodeFor(err)).toBe(3);
  expect((err as Error).message).toContain(name);
}

describe('writes crossroot makes into a root', () => {
  it('the file is a symlink to a host file: writing is refused, the host file is not created', async () => {
    const { root, rootDir, host } = await scene('write-symlink');
    await mkdir(join(rootDir, 'usr/sbin'), { recursive: true });
    await symlink(join(host, 'pwned'), join(rootDir, 'usr/sbin/policy-rc.d'));
    await refused(writeRootFile(root, 'usr/sbin/policy-rc.d', 'x', 0o755), 'usr/sbin/policy-rc.d');
    expect(await readdir(host)).toEqual([]);
  });

  it('a parent directory is a symlink to a host directory: the write lands inside the root, as under chroot', async () => {
    const { root, rootDir, host } = await scene('write-parent');
    await mkdir(join(rootDir, 'usr'), { recursive: true });
    await symlink(host, join(rootDir, 'usr/sbin'));
    await writeRootFile(root, 'usr/sbin/policy-rc.d', 'x', 0o755);
    expect(await readdir(host)).toEqual([]);
    expect(await readFile(join(rootDir, host, 'policy-rc.d'), 'utf8')).toBe('x');
  });

  it('a relative parent symlink climbing out of the root: refused, nothing written', async () => {
    const { root, rootDir, host } = await scene('write-climb');
    await mkdir(join(rootDir, 'var/lib'), { recursive: true });
    await symlink('../../../host', join(rootDir, 'var/lib/apt'));
    await refused(writeRootFile(root, 'var/lib/apt/extended_states', 'x', 0o644), 'var/lib/apt/extended_states');
    expect(await readdir(host)).toEqual([]);
  });

  it('reading a file that is a symlink to a host file: refused, the host content is not returned', async () => {
    const { root, rootDir, host } = await scene('read-symlink');
    await writeFile(join(host, 'secret'), 'host secret');
    await mkdir(join(rootDir, 'var/lib/apt'), { recursive: true });
    await symlink(join(host, 'secret'), join(rootDir, 'var/lib/apt/extended_states'));
    await refused(readRootFile(root, 'var/lib/apt/extended_states'), 'var/lib/apt/extended_states');
  });

  it('removing a file whose parent a script turned into a symlink to a host directory: the host file survives', async () => {
    const { root, rootDir, host } = await scene('remove-parent');
    await writeFile(join(host, 'policy-rc.d'), 'host file');
    await mkdir(join(rootDir, 'usr'), { recursive: true });
    await symlink(host, join(rootDir, 'usr/sbin'));
    await removeRootFile(root, 'usr/sbin/policy-rc.d');
    expect(await readFile(join(host, 'policy-rc.d'), 'utf8')).toBe('host file');
  });

  it('linking a .deb over a name that is a symlink to a host file: refused, the host file is not created', async () => {
    const { root, rootDir, host } = await scene('link-symlink');
    const deb = join(work, 'link-symlink', 'x.deb');
    await writeFile(deb, 'deb');
    await mkdir(join(rootDir, 'var/cache/apt/archives'), { recursive: true });
    await symlink(join(host, 'pwned'), join(rootDir, 'var/cache/apt/archives/x_1_all.deb'));
    const err = await linkIntoRoot(root, deb, 'var/cache/apt/archives/x_1_all.deb').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CrossrootError);
    expect(exitCodeFor(err)).toBe(3);
    expect(await readdir(host)).toEqual([]);
  });
});
