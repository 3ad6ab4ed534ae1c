// Prepared packages against dpkg-deb and zstd: the kept data.tar is dpkg-deb's byte for byte,
// the index says what the .deb says, and unpacking from it gives GNU tar's tree.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CrossrootError, exitCodeFor } from '../../src/errors.js';
import { hostDecompressor } from '../../src/host/decompress.js';
import { PreparedStore, readPrepared, readPreparedIndex } from '../../src/install/prepared.js';
import { TargetRoot } from '../../src/install/target-root.js';
import { unpackAll } from '../../src/install/unpack.js';
import { runBuffer } from '../support/cli.js';
import { dpkgDebField, oracleFileList } from '../support/oracle-deb.js';
import { realDebs } from '../support/real-debs.js';

let work = '';
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'crossroot-prepared-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const sha256 = async (file: string) => createHash('sha256').update(await readFile(file)).digest('hex');

/** dash's .deb from the bookworm essential set, and its SHA256. */
async function dash(): Promise<{ deb: string; sum: string }> {
  const { debs } = await realDebs({ suite: 'bookworm', arch: 'amd64', variant: 'essential' });
  const deb = debs.find((d) => basename(d).startsWith('dash_'))!;
  return { deb, sum: await sha256(deb) };
}

describe('prepared packages', () => {
  it('bookworm amd64 essential set: data == dpkg-deb --fsys-tarfile, control == dpkg-deb, md5 == md5sums, tree == GNU tar', async () => {
    const { debs } = await realDebs({ suite: 'bookworm', arch: 'amd64', variant: 'essential' });
    const store = new PreparedStore(join(work, 'store'));
    const decompressor = hostDecompressor();
    const prepared = [];
    for (const deb of debs) {
      const p = await store.prepare(deb, await sha256(deb), { decompressor, file: basename(deb) });
      prepared.push(p);
      // The data, decompressed by zstd itself, is dpkg-deb's data.tar.
      const [ours, theirs] = await Promise.all([runBuffer('zstd', ['-dcq', p.data]), runBuffer('dpkg-deb', ['--fsys-tarfile', deb])]);
      expect(ours.equals(theirs), basename(deb)).toBe(true);
      const index = await readPreparedIndex(p, basename(deb));
      expect(index.control.control.get('Package')).toBe((await dpkgDebField(deb, 'Package')));
      // Each control member is the bytes dpkg-deb's control archive holds, in its order.
      const ctrlNames = (await runBuffer('sh', ['-c', 'dpkg-deb --ctrl-tarfile "$1" | tar -t', 'sh', deb])).toString().split('\n').filter((n) => n !== '' && n !== './');
      expect([...index.control.members.keys()]).toEqual(ctrlNames.map((n) => n.replace(/^\.\//, '')));
      for (const n of ctrlNames) {
        const bytes = await runBuffer('sh', ['-c', 'dpkg-deb --ctrl-tarfile "$1" | tar -xO "$2"', 'sh', deb, n]);
        expect(index.control.members.get(n.replace(/^\.\//, ''))!.data.equals(bytes), `${basename(deb)} ${n}`).toBe(true);
      }
      // The member list is GNU tar's and Python tarfile's.
      const fields = ['path', 'type', 'mode', 'uid', 'gid', 'size', 'mtime', 'linkname'] as const;
      expect(index.entries.map((e) => Object.fromEntries(fields.filter((f) => e[f] !== undefined).map((f) => [f, e[f]])))).toEqual(await oracleFileList(deb));
      // The digests are the ones dpkg-deb recorded when the package was built.
      const md5sums = index.control.members.get('md5sums')?.data.toString('utf8');
      if (md5sums !== undefined) {
        // A hard link's digest is its target's.
        const links = new Map(index.entries.filter((e) => e.type === 'hardlink').map((e) => [e.path, e.linkname!]));
        for (const line of md5sums.split('\n').filter(Boolean)) {
          const [sum, path] = [line.slice(0, 32), line.slice(34)];
          expect(index.md5.get(links.get(`./${path}`) ?? `./${path}`), `${basename(deb)} ${path}`).toBe(sum);
        }
      }
      expect(index.control.memberNames.data).toBe((await runBuffer('ar', ['t', deb])).toString().split('\n')[2]);
    }
    // Unpacked from the prepared forms: GNU tar's tree of the same data, deb after deb.
    const oracle = join(work, 'tar');
    await mkdir(oracle);
    for (const deb of debs) await runBuffer('sh', ['-c', 'dpkg-deb --fsys-tarfile "$1" | tar -C "$2" -x -f -', 'sh', deb, oracle]);
    const ours = join(work, 'ours');
    await mkdir(ours);
    await unpackAll(prepared, new TargetRoot(ours), { decompressor, jobs: 2 });
    const list = (dir: string) => runBuffer('sh', ['-c', 'cd "$1" && find . -printf "%p %y %m %U %G %s %l\\n" | sort', 'sh', dir]);
    const [a, b] = await Promise.all([list(oracle), list(ours)]);
    expect(b.toString().split('\n').length).toBeGreaterThan(3000);
    expect(b.toString()).toBe(a.toString());
  }, 600_000);

  it('a second prepare finds an intact entry and rewrites nothing', async () => {
    const { deb, sum } = await dash();
    const store = new PreparedStore(join(work, 'again'));
    const p = await store.prepare(deb, sum, { decompressor: hostDecompressor(), file: basename(deb) });
    const [data, index] = await Promise.all([stat(p.data), stat(p.index)]);
    const lines: string[] = [];
    const q = await store.prepare(deb, sum, { decompressor: hostDecompressor(), file: basename(deb), log: (l) => lines.push(l) });
    expect(q).toEqual(p);
    expect(lines).toEqual([]);
    expect([(await stat(q.data)).ino, (await stat(q.index)).ino]).toEqual([data.ino, index.ino]);
  }, 120_000);

  // The faults below change an entry after it was made, keeping its size: a bad disk, a stray
  // write. Before the digests, the entry was reused as it was and the build unpacked it.
  for (const [fault, target, offset] of [
    ['a prepared data file with one byte flipped in place', 'data', -100],
    ['a prepared index with one byte flipped in place (a file digest changed)', 'index', 300],
  ] as const) {
    it(`${fault} is made again from the .deb, never unpacked`, async () => {
      const { deb, sum } = await dash();
      const store = new PreparedStore(join(work, `flip-${target}`));
      const p = await store.prepare(deb, sum, { decompressor: hostDecompressor(), file: basename(deb) });
      const good = { data: await readFile(p.data), index: await readFile(p.index) };
      const bad = Buffer.from(good[target]);
      const at = offset < 0 ? bad.length + offset : offset;
      bad[at] = target === 'index' ? (bad[at] === 0x61 ? 0x62 : 0x61) : bad[at]! ^ 0x01;
      await writeFile(p[target], bad);
      const lines: string[] = [];
      const q = await store.prepare(deb, sum, { decompressor: hostDecompressor(), file: 'dash.deb', log: (l) => lines.push(l) });
      expect(q).toEqual(p);
      expect(lines).toEqual([expect.stringMatching(new RegExp(`^dash\\.deb: the prepared package ${p.index} is damaged \\(its ${target === 'data' ? 'data has SHA256' : 'index does not match its digest'}.*\\): making it again$`))]);
      // What is there now is what the .deb holds: dpkg-deb's data.tar, and an index that reads.
      const [ours, theirs] = await Promise.all([runBuffer('zstd', ['-dcq', q.data]), runBuffer('dpkg-deb', ['--fsys-tarfile', deb])]);
      expect(ours.equals(theirs)).toBe(true);
      expect((await readPreparedIndex(q, 'dash.deb')).control.control.get('Package')).toBe('dash');
    }, 120_000);
  }

  it('an index changed after the build checked it: INSTALL_PREPARED naming it, exit 3, not a parse of whatever is there', async () => {
    const { deb, sum } = await dash();
    const store = new PreparedStore(join(work, 'late'));
    const p = await store.prepare(deb, sum, { decompressor: hostDecompressor(), file: basename(deb) });
    const text = (await readFile(p.index, 'utf8')).replace('"./bin/dash"', '"./bin/bash"'); // a member renamed
    expect(text).toContain('"./bin/bash"');
    await writeFile(p.index, text);
    for (const read of [() => readPreparedIndex(p, 'dash.deb'), () => readPrepared(p, { file: 'dash.deb', decompressor: hostDecompressor() })]) {
      const err = await read().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CrossrootError);
      expect((err as CrossrootError).code).toBe('INSTALL_PREPARED');
      expect(exitCodeFor(err as CrossrootError)).toBe(3);
      expect((err as Error).message).toBe(`dash.deb: the prepared package ${p.index} is damaged: its index does not match its digest; it is made again by the next build`);
    }
  }, 120_000);

  it('a damaged .deb is the unpacking error, and leaves nothing in the store', async () => {
    const { debs } = await realDebs({ suite: 'bookworm', arch: 'amd64', variant: 'essential' });
    const deb = debs.find((d) => basename(d).startsWith('dash_'))!;
    const bytes = await readFile(deb);
    const bad = Buffer.from(bytes);
    for (let i = bytes.length - 4000; i < bytes.length - 100; i++) bad[i] = bad[i]! ^ 0x55; // inside data.tar.xz
    const file = join(work, 'bad.deb');
    await writeFile(file, bad);
    const store = new PreparedStore(join(work, 'bad'));
    const err = await store.prepare(file, await sha256(file), { decompressor: hostDecompressor(), file: 'bad.deb' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CrossrootError);
    expect(exitCodeFor(err as CrossrootError)).toBe(3);
    expect((err as Error).message).toMatch(/^bad\.deb: data\.tar\.xz: /);
    expect(await readdir(join(work, 'bad'), { recursive: true })).toEqual([expect.stringMatching(/^[0-9a-f]{2}$/)]);
  }, 120_000);
});
