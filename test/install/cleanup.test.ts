// cleanupRoot does what mmdebstrap's run_cleanup (and the apt calls in it) does: mmdebstrap's
// root taken *before* its cleanup (--skip=cleanup), cleaned by crossroot and written by
// writeRootTarball, is byte for byte mmdebstrap's tarball of the same build.
import { lstat, mkdir, mkdtemp, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CrossrootError } from '../../src/errors.js';
import { cleanupRoot, passwdUid } from '../../src/install/cleanup.js';
import { writeRootTarball } from '../../src/output/tarball.js';
import { REPO_ROOT, run, runBuffer } from '../support/cli.js';
import { byteDifference } from '../output/compare-bytes.js';
import { oracle, SOURCE_DATE_EPOCH, type Oracle } from '../output/oracle.js';

let o: Oracle;
let work = '';
let hostAptUid = 0;
beforeAll(async () => {
  o = await oracle();
  // Beside the oracle, on the same file system, so cp -a is cheap and keeps everything.
  await mkdir(join(REPO_ROOT, '.cache', 'scratch'), { recursive: true });
  work = await mkdtemp(join(REPO_ROOT, '.cache', 'scratch', 'cleanup-'));
  hostAptUid = (await passwdUid('/etc/passwd', '_apt')) ?? 0;
}, 900_000);
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** Type, mode, owner, size (files), link target and path of every entry but ./dev. */
async function listing(root: string): Promise<string[]> {
  const out = await runBuffer(
    'find',
    ['.', '-path', './dev', '-prune', '-o', '-type', 'd', '-printf', '%y %m %U:%G %p\\n', '-o', '-printf', '%y %m %U:%G %s %p %l\\n'],
    { cwd: root },
  );
  return out.toString().split('\n').filter((l) => l !== '' && l !== 'd 755 0:0 ./dev').sort();
}

describe('cleanup of mmdebstrap\'s uncleaned root', () => {
  it('gives mmdebstrap\'s cleaned tree and, through writeRootTarball, its tarball', async () => {
    const root = join(work, 'root');
    const cp = await run('cp', ['-a', '--no-target-directory', o.raw, root]);
    expect(cp.code, cp.stderr).toBe(0);
    const before = await listing(root);
    // The raw root really has what the cleanup must remove.
    for (const p of ['./var/lib/apt/lists/auxfiles', './etc/apt/apt.conf.d/00mmdebstrap', './var/log/dpkg.log', './run/gone', './tmp/link']) {
      expect(before.some((l) => l.includes(` ${p}`)), p).toBe(true);
    }
    expect(before.some((l) => / \.\/var\/lib\/apt\/lists\/[^/ ]*_Packages /.test(l))).toBe(true);
    expect(before.some((l) => / \.\/var\/cache\/apt\/archives\/[^/ ]*\.deb /.test(l))).toBe(true);

    await cleanupRoot(root, { aptSandboxUid: hostAptUid });
    expect(await listing(root)).toEqual(await listing(o.root));
    const target = join(work, 'cleaned.tar');
    await writeRootTarball(root, target, { sourceDateEpoch: SOURCE_DATE_EPOCH });
    expect(await byteDifference(target, o.tarballs['.tar'])).toBeUndefined();
  });

  it('what it leaves: apt lock files and partial/ dirs owned by the given uid, an empty machine-id, run/lock', async () => {
    const root = join(work, 'root');
    await cleanupRoot(root, { aptSandboxUid: 4242 }); // again: idempotent, with another uid
    for (const dir of ['var/lib/apt/lists', 'var/cache/apt/archives']) {
      const p = await stat(join(root, dir, 'partial'));
      expect([p.uid, p.gid, p.mode & 0o7777], dir).toEqual([4242, 0, 0o700]);
      const l = await stat(join(root, dir, 'lock'));
      expect(l.mode & 0o7777, dir).toBe(0o640);
    }
    const m = await stat(join(root, 'etc/machine-id'));
    expect([m.size, m.mode & 0o7777]).toEqual([0, 0o644]);
    expect((await stat(join(root, 'run/lock'))).mode & 0o7777).toBe(0o1777);
    expect(await readFile(join(root, 'run/lock/sub/kept'), 'utf8')).toBe('x');
    // And with the host's uid again it is mmdebstrap's output once more.
    await cleanupRoot(root, { aptSandboxUid: hostAptUid });
    const target = join(work, 'again.tar');
    await writeRootTarball(root, target, { sourceDateEpoch: SOURCE_DATE_EPOCH });
    expect(await byteDifference(target, o.tarballs['.tar'])).toBeUndefined();
  });

  it('the uid mmdebstrap uses is the host\'s _apt (getent agrees with passwdUid)', async () => {
    const getent = (await runBuffer('getent', ['passwd', '_apt'])).toString().split(':')[2];
    expect(hostAptUid).toBe(Number(getent));
    const p = await stat(join(o.root, 'var/lib/apt/lists/partial'));
    expect(p.uid).toBe(hostAptUid);
  });
});

describe('hostile roots', () => {
  /** A minimal root and, outside it, a directory with a file that must survive. */
  async function fixture(name: string): Promise<{ root: string; outside: string }> {
    const root = join(work, name, 'root');
    const outside = join(work, name, 'outside');
    await mkdir(join(outside, 'lists'), { recursive: true });
    await writeFile(join(outside, 'sentinel'), 'host data\n');
    await writeFile(join(outside, 'lists', 'sentinel'), 'host data\n');
    await mkdir(root, { recursive: true });
    return { root, outside };
  }

  it('symlinked-var-lib-apt-pointing-out-of-root: refused, host files untouched', async () => {
    const { root, outside } = await fixture('apt-link');
    await mkdir(join(root, 'var/lib'), { recursive: true });
    await symlink(outside, join(root, 'var/lib/apt'));
    const err = await cleanupRoot(root, { aptSandboxUid: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CrossrootError);
    expect((err as CrossrootError).code).toBe('INSTALL_UNSAFE_PATH');
    expect(await readFile(join(outside, 'lists', 'sentinel'), 'utf8')).toBe('host data\n');
  });

  it('symlinks-in-tmp-and-run-to-host-dirs: the links go, their targets stay; a symlinked run/ is left alone', async () => {
    const { root, outside } = await fixture('tmp-link');
    await mkdir(join(root, 'tmp'), { recursive: true });
    await symlink(outside, join(root, 'tmp/evil'));
    await symlink(outside, join(root, 'run'));
    await cleanupRoot(root, { aptSandboxUid: 0 });
    await expect(lstat(join(root, 'tmp/evil'))).rejects.toThrow(/ENOENT/);
    expect(await readlink(join(root, 'run'))).toBe(outside);
    expect(await readFile(join(outside, 'sentinel'), 'utf8')).toBe('host data\n');
    expect(await readFile(join(outside, 'lists', 'sentinel'), 'utf8')).toBe('host data\n');
  });

  it('mount-inside-tmp: not descended into (rm --one-file-system)', async (ctx) => {
    const { root } = await fixture('mount');
    const mnt = join(root, 'tmp/mnt');
    await mkdir(mnt, { recursive: true });
    const m = await run('mount', ['-t', 'tmpfs', 'crossroot-test', mnt]);
    if (m.code !== 0) ctx.skip('no rights to mount a tmpfs here');
    try {
      await writeFile(join(mnt, 'on-the-mount'), 'x');
      const err = await cleanupRoot(root, { aptSandboxUid: 0 }).catch((e: unknown) => e);
      expect((err as CrossrootError).code).toBe('INSTALL_CLEANUP');
      expect((err as Error).message).toMatch(/another file system/);
      expect(await readFile(join(mnt, 'on-the-mount'), 'utf8')).toBe('x');
    } finally {
      await run('umount', [mnt]);
    }
  });
});
