// writeRootDirectory moves the root into place without losing anything a tarball records, and
// makes /dev as mmdebstrap's root mode does (checked against mmdebstrap's directory output).
import { lstat, mkdir, mkdtemp, readdir, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CrossrootError } from '../../src/errors.js';
import { writeRootDirectory } from '../../src/output/directory.js';
import { writeRootTarball } from '../../src/output/tarball.js';
import { REPO_ROOT, run } from '../support/cli.js';
import { byteDifference } from './compare-bytes.js';
import { oracle, SOURCE_DATE_EPOCH, type Oracle } from './oracle.js';

let o: Oracle;
let work = '';
const shmWork: string[] = [];
beforeAll(async () => {
  o = await oracle();
  await mkdir(join(REPO_ROOT, '.cache', 'scratch'), { recursive: true });
  work = await mkdtemp(join(REPO_ROOT, '.cache', 'scratch', 'directory-'));
}, 900_000);
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
  for (const d of shmWork) await rm(d, { recursive: true, force: true });
});

/** A fresh copy of mmdebstrap's root at `path`. */
async function copyOfOracleRoot(path: string): Promise<string> {
  const r = await run('cp', ['-a', '--no-target-directory', o.root, path]);
  expect(r.code, r.stderr).toBe(0);
  return path;
}

async function tarballMatchesOracle(dir: string): Promise<void> {
  const target = `${dir}.tar`;
  await writeRootTarball(dir, target, { sourceDateEpoch: SOURCE_DATE_EPOCH });
  expect(await byteDifference(target, o.tarballs['.tar'])).toBeUndefined();
  await rm(target);
}

describe('writeRootDirectory', () => {
  it('same file system: a rename (same inode), nothing lost, the root is gone', async () => {
    const root = await copyOfOracleRoot(join(work, 'same-root'));
    const ino = (await stat(root)).ino;
    const target = join(work, 'same-target');
    await writeRootDirectory(root, target);
    expect((await stat(target)).ino).toBe(ino);
    await expect(lstat(root)).rejects.toThrow(/ENOENT/);
    await tarballMatchesOracle(target);
  });

  it('an empty existing target is replaced', async () => {
    const root = await copyOfOracleRoot(join(work, 'empty-root'));
    const target = join(work, 'empty-target');
    await mkdir(target);
    await writeRootDirectory(root, target);
    await tarballMatchesOracle(target);
  });

  it('another file system (tmpfs → here): cp -a keeps hard links, xattrs, owners, mtimes', async (ctx) => {
    const shm = await mkdtemp('/dev/shm/crossroot-dir-').catch(() => undefined);
    if (shm === undefined) return ctx.skip('no /dev/shm to hold a root on another file system');
    shmWork.push(shm);
    if ((await stat(shm)).dev === (await stat(work)).dev) return ctx.skip('/dev/shm is on the same file system as the work directory');
    const root = await copyOfOracleRoot(join(shm, 'root'));
    const target = join(work, 'cross-target');
    await writeRootDirectory(root, target);
    await expect(lstat(root)).rejects.toThrow(/ENOENT/);
    expect((await readdir(work)).filter((n) => n.includes('crossroot-tmp'))).toEqual([]);
    await tarballMatchesOracle(target);
  });

  it('a target holding only an empty lost+found gets the root copied in', async () => {
    const root = await copyOfOracleRoot(join(work, 'lf-root'));
    const target = join(work, 'lf-target');
    await mkdir(join(target, 'lost+found'), { recursive: true });
    await writeRootDirectory(root, target);
    await expect(lstat(root)).rejects.toThrow(/ENOENT/);
    expect((await readdir(target)).sort()).toEqual([...(await readdir(o.root)), 'lost+found'].sort());
  });

  it('refuses a non-empty target or a file, and leaves the root where it was', async () => {
    const root = join(work, 'refused-root');
    await mkdir(root);
    await writeFile(join(root, 'f'), 'x');
    const full = join(work, 'full-target');
    await mkdir(full);
    await writeFile(join(full, 'precious'), 'x');
    const e1 = await writeRootDirectory(root, full).catch((e: unknown) => e);
    expect((e1 as CrossrootError).code).toBe('USAGE_TARGET_NOT_EMPTY');
    const file = join(work, 'file-target');
    await writeFile(file, 'x');
    const e2 = await writeRootDirectory(root, file).catch((e: unknown) => e);
    expect((e2 as CrossrootError).code).toBe('USAGE_TARGET_NOT_DIRECTORY');
    expect(await readdir(root)).toEqual(['f']);
    expect(await readdir(full)).toEqual(['precious']);
  });

  it('devices: true makes the /dev of mmdebstrap\'s root-mode directory output', async () => {
    const root = join(work, 'dev-root');
    await mkdir(root);
    const target = join(work, 'dev-target');
    await writeRootDirectory(root, target, { devices: true });
    const describeTree = async (base: string, rel = 'dev'): Promise<string[]> => {
      const out: string[] = [];
      for (const name of (await readdir(join(base, rel))).sort()) {
        const p = join(base, rel, name);
        const st = await lstat(p);
        const link = st.isSymbolicLink() ? ` -> ${await readlink(p)}` : '';
        out.push(`${rel}/${name} ${st.mode.toString(8)} ${st.uid}:${st.gid} rdev=${st.rdev}${link}`);
        if (st.isDirectory()) out.push(...(await describeTree(base, `${rel}/${name}`)));
      }
      return out;
    };
    const ours = await describeTree(target);
    expect(ours).toHaveLength(14);
    expect(ours).toEqual(await describeTree(o.root));
    expect((await stat(join(target, 'dev'))).mode & 0o7777).toBe((await stat(join(o.root, 'dev'))).mode & 0o7777);
  });
});
