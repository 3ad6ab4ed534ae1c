// writeRootTarball reproduces mmdebstrap's tarball byte for byte: cmp against mmdebstrap's own
// output of the same root (.tar, .tar.gz, .tar.xz, .tar.zst), with and without ./dev.
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devTarHeaders, DEV_ENTRIES } from '../../src/output/dev-entries.js';
import { compressorFor } from '../../src/output/compressor.js';
import { writeRootTarball } from '../../src/output/tarball.js';
import { CrossrootError } from '../../src/errors.js';
import { run } from '../support/cli.js';
import { byteDifference } from './compare-bytes.js';
import { LONG_FILE, oracle, SOURCE_DATE_EPOCH, type Oracle } from './oracle.js';

let o: Oracle;
let work = '';
beforeAll(async () => {
  o = await oracle();
  if (o.seconds > 0) console.log(`mmdebstrap oracle built in ${o.seconds.toFixed(1)} s`);
  work = await mkdtemp(join(tmpdir(), 'crossroot-tarball-'));
}, 900_000);
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

const SDE = { sourceDateEpoch: SOURCE_DATE_EPOCH };

describe('the ./dev header block', () => {
  it('is the first 7680 bytes of mmdebstrap\'s tarball', async () => {
    const theirs = await readFile(o.tarballs['.tar']);
    const ours = devTarHeaders(SOURCE_DATE_EPOCH);
    expect(ours.length).toBe(15 * 512);
    expect(ours.equals(theirs.subarray(0, ours.length))).toBe(true);
  });

  it('is read by GNU tar as the 15 entries of the table', async () => {
    const file = join(work, 'dev-only.tar');
    await writeFile(file, Buffer.concat([devTarHeaders(SOURCE_DATE_EPOCH), Buffer.alloc(1024)]));
    const r = await run('tar', ['--numeric-owner', '--full-time', '-tvf', file], { env: { ...process.env, TZ: 'UTC' } });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(15);
    expect(lines[0]).toBe('drwxr-xr-x 0/0               0 2023-11-14 22:13:20 ./dev/');
    expect(lines[4]).toBe('crw-rw-rw- 0/0             1,3 2023-11-14 22:13:20 ./dev/null');
    expect(lines[9]).toBe('lrwxrwxrwx 0/0               0 2023-11-14 22:13:20 ./dev/stderr -> /proc/self/fd/2');
    expect(lines.map((l) => l.split(' ').find((w) => w.startsWith('./dev')))).toEqual(DEV_ENTRIES.map((e) => e.name));
  });
});

describe('writeRootTarball of mmdebstrap\'s own root = mmdebstrap\'s tarball', () => {
  it('the oracle has the members worth testing: long name, hard link, xattr, non-ASCII name', async () => {
    const py = [
      'import sys, tarfile, json',
      't = tarfile.open(sys.argv[1])',
      'ms = t.getmembers()',
      'print(json.dumps({',
      ' "long": [m.name for m in ms if len(m.name) > 100],',
      ' "links": [m.name for m in ms if m.islnk()],',
      ' "xattrs": [k for m in ms for k in m.pax_headers if k.startswith("SCHILY.xattr.")],',
      ' "nonascii": [m.name for m in ms if not m.name.isascii()],',
      ' "owned": [[m.uid, m.gid] for m in ms if m.name.endswith("/owned")],',
      ' "old": [m.pax_headers.get("mtime") for m in ms if m.name.endswith("/old")],',
      '}))',
    ].join('\n');
    const r = await run('python3', ['-c', py, o.tarballs['.tar']]);
    expect(r.code, r.stderr).toBe(0);
    const seen = JSON.parse(r.stdout) as Record<string, unknown[]>;
    expect(seen.long).toContain(`./${LONG_FILE}`);
    expect(seen.links).toContain('./usr/share/crossroot-test/hardlink');
    expect(seen.xattrs).toContain('SCHILY.xattr.user.crossroot');
    expect(seen.nonascii).toContain('./usr/share/crossroot-test/café');
    expect(seen.owned).toEqual([[1000, 1001]]);
    expect(seen.old).toEqual(['1600000000.5']);
  });

  for (const suffix of ['.tar', '.tar.gz', '.tar.xz', '.tar.zst'] as const) {
    it(`${suffix}: cmp finds no difference`, async () => {
      const target = join(work, `ours${suffix}`);
      await writeRootTarball(o.root, target, SDE);
      expect(await byteDifference(target, o.tarballs[suffix])).toBeUndefined();
      expect((await stat(target)).mode & 0o777).toBe(0o644);
    });
  }

  it('hostile environment variables do not change the bytes (tar, gzip, xz, zstd, locale)', async () => {
    // The whole root for tar (cheap); a small one for the compressors, whose output with the
    // hostile variables is compared with their output without them (which the tests above
    // compare with mmdebstrap's): xz of the whole root takes long on these machines.
    const small = join(work, 'small-root');
    await mkdir(join(small, 'etc'), { recursive: true });
    await writeFile(join(small, 'etc', 'café'), 'x'.repeat(100_000));
    const suffixes = ['.tar', '.tar.gz', '.tar.xz', '.tar.zst'] as const;
    for (const suffix of suffixes) await writeRootTarball(small, join(work, `small${suffix}`), SDE);
    const hostile = {
      TAR_OPTIONS: '--owner=1234 --blocking-factor=1', // options tar prepends to its command line
      TAPE: join(work, 'tape'),
      POSIXLY_CORRECT: '1',
      LC_ALL: 'C',
      LANG: 'C',
      GZIP: '-9',
      XZ_OPT: '-9e --threads=2',
      XZ_DEFAULTS: '-1',
      ZSTD_CLEVEL: '19',
      ZSTD_NBTHREADS: '2',
    };
    const saved = { ...process.env };
    Object.assign(process.env, hostile);
    try {
      const whole = join(work, 'hostile-whole.tar');
      await writeRootTarball(o.root, whole, SDE);
      expect(await byteDifference(whole, o.tarballs['.tar'])).toBeUndefined();
      for (const suffix of suffixes) {
        const target = join(work, `hostile-small${suffix}`);
        await writeRootTarball(small, target, SDE);
        expect(await byteDifference(target, join(work, `small${suffix}`)), suffix).toBeUndefined();
      }
    } finally {
      for (const k of Object.keys(hostile)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });

  it('devices: false is mmdebstrap\'s --skip=output/dev: the same stream without the header block', async () => {
    const target = join(work, 'nodev.tar');
    await writeRootTarball(o.root, target, { ...SDE, devices: false });
    const theirs = await readFile(o.tarballs['.tar']);
    const ours = await readFile(target);
    expect(ours.equals(theirs.subarray(15 * 512))).toBe(true);
  });

  it('a different SOURCE_DATE_EPOCH gives different bytes (the clamp is in effect)', async () => {
    const target = join(work, 'other-sde.tar');
    await writeRootTarball(o.root, target, { sourceDateEpoch: SOURCE_DATE_EPOCH - 86400 * 365 });
    expect(await byteDifference(target, o.tarballs['.tar'])).toBeDefined();
  });
});

describe('targets', () => {
  it('chooses the compressor by suffix as mmdebstrap does, plus .tzst', () => {
    expect(compressorFor('a.tar')).toBeUndefined();
    expect(compressorFor('a.tar.gz')?.name).toBe('gzip');
    expect(compressorFor('a.tgz')?.name).toBe('gzip');
    expect(compressorFor('a.tar.xz')?.name).toBe('xz');
    expect(compressorFor('a.txz')?.name).toBe('xz');
    expect(compressorFor('a.tar.zst')?.name).toBe('zstd');
    expect(compressorFor('a.tzst')?.name).toBe('zstd');
    expect(() => compressorFor('a.tar.bz3')).toThrow(CrossrootError);
  });

  it('a .tzst is the same zstd stream as a .tar.zst', async () => {
    const target = join(work, 'ours.tzst');
    await writeRootTarball(o.root, target, SDE);
    expect(await byteDifference(target, o.tarballs['.tar.zst'])).toBeUndefined();
  });

  it('a missing root fails before anything is written and keeps an existing target', async () => {
    const target = join(work, 'kept.tar');
    await writeFile(target, 'previous build\n');
    const err = await writeRootTarball(join(work, 'no-such-root'), target, SDE).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CrossrootError);
    expect((err as CrossrootError).code).toBe('INSTALL_TARBALL_ROOT');
    expect(await readFile(target, 'utf8')).toBe('previous build\n');
    expect((await readdir(work)).filter((n) => n.includes('crossroot-tmp'))).toEqual([]);
  });

  it('a SOURCE_DATE_EPOCH that is not whole seconds is a usage error', async () => {
    const err = await writeRootTarball(o.root, join(work, 'x.tar'), { sourceDateEpoch: 1.5 }).catch((e: unknown) => e);
    expect((err as CrossrootError).code).toBe('USAGE_SOURCE_DATE_EPOCH');
  });
});
