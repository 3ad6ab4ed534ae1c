// squashfs and ext2 outputs: cmp-identical to mmdebstrap 1.3.5's --format squashfs / ext2 of
// the same set (bookworm amd64 essential, SOURCE_DATE_EPOCH fixed, the host mirror), and
// compare reads the squashfs back as IDENTICAL to the tarball.
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approxDiskUsage } from '../../src/output/disk-usage.js';
import { crossroot, REPO_ROOT, run } from '../support/cli.js';
import { mirrorArgument, mmdebstrapTarball } from '../support/mmdebstrap-oracle.js';

const SDE = 1_700_000_000;
const CACHE = join(REPO_ROOT, '.cache', 'archive');
const HAVE_MMDEBSTRAP = existsSync('/usr/bin/mmdebstrap');
const HAVE_TAR2SQFS = existsSync('/usr/bin/tar2sqfs') && existsSync('/usr/bin/sqfs2tar');
const HAVE_GENEXT2FS = existsSync('/usr/bin/genext2fs');
let work = '';

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'crossroot-images-'));
});
afterAll(() => rm(work, { recursive: true, force: true }));

async function build(name: string): Promise<string> {
  const out = join(work, name);
  const r = await crossroot(['build', '--cache-dir', CACHE, '--variant', 'essential', 'bookworm', out, await mirrorArgument()], {
    env: { ...process.env, SOURCE_DATE_EPOCH: String(SDE) },
  });
  expect(r.code, r.stderr.split('\n').slice(-20).join('\n')).toBe(0);
  return out;
}

describe('approx_disk_usage', () => {
  it.skipIf(!HAVE_MMDEBSTRAP)('counts as mmdebstrap 1.3.5\'s (its own sub, run by perl on the same tree) — skipped without mmdebstrap', async () => {
    const tree = join(work, 'du');
    await mkdir(join(tree, 'a/b'), { recursive: true });
    await mkdir(join(tree, 'dev/pts'), { recursive: true });
    await writeFile(join(tree, 'dev/null-ish'), 'x');
    for (const [n, size] of [['empty', 0], ['one', 1], ['k', 1024], ['k1', 1025], ['big', 100_000]] as const) await writeFile(join(tree, 'a', n), Buffer.alloc(size));
    await run('ln', ['-s', 'a/k', join(tree, 'link')]);
    await run('ln', [join(tree, 'a/big'), join(tree, 'a/b/hard')]);
    // mmdebstrap's sub, extracted from /usr/bin/mmdebstrap and run as it is.
    const perl = `my $src = do { local $/; open my $f, '<', '/usr/bin/mmdebstrap' or die; <$f> };
      my ($dev) = $src =~ /(my \\@devfiles = \\(.*?\\n\\);)/s; my ($sub) = $src =~ /(sub approx_disk_usage \\{.*?\\n\\})/s;
      use File::Find; sub info {} eval "$dev; $sub; print approx_disk_usage(\\$ARGV[0])" or die $@;`;
    const r = await run('perl', ['-e', perl, tree]);
    expect(r.code, r.stderr).toBe(0);
    expect(await approxDiskUsage(tree)).toBe(Number(r.stdout));
  });
});

describe('image outputs (bookworm amd64 essential)', () => {
  it.skipIf(!HAVE_MMDEBSTRAP || !HAVE_TAR2SQFS)('--format squashfs (by .squashfs) is cmp-identical to mmdebstrap\'s, and compare against the tarball is IDENTICAL — skipped without mmdebstrap or squashfs-tools-ng', async () => {
    const [ref, ours, tar] = await Promise.all([
      mmdebstrapTarball({ mode: 'root', arch: 'amd64', variant: 'essential', sourceDateEpoch: SDE, suffix: '.squashfs' }),
      build('root.squashfs'),
      mmdebstrapTarball({ mode: 'root', arch: 'amd64', variant: 'essential', sourceDateEpoch: SDE }),
    ]);
    expect((await run('cmp', [ref, ours])).code).toBe(0);
    const c = await crossroot(['compare', tar, ours]);
    expect(c.code, c.stdout.slice(0, 3000)).toBe(0);
    expect(c.stdout).toMatch(/IDENTICAL/);
  }, 1_200_000);

  it.skipIf(!HAVE_MMDEBSTRAP || !HAVE_GENEXT2FS)('--format ext2 (by .ext2) is cmp-identical to mmdebstrap\'s — skipped without mmdebstrap or genext2fs', async () => {
    const [ref, ours] = await Promise.all([
      mmdebstrapTarball({ mode: 'root', arch: 'amd64', variant: 'essential', sourceDateEpoch: SDE, suffix: '.ext2' }),
      build('root.ext2'),
    ]);
    expect((await run('cmp', [ref, ours])).code).toBe(0);
    const fsck = await run('/usr/sbin/e2fsck', ['-fn', ours]);
    expect(fsck.code, fsck.stdout + fsck.stderr).toBe(0);
  }, 1_200_000);
});
