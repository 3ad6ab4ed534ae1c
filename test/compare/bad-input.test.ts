// Bad compare inputs exit 3 with one line naming the file and member; usage errors exit 2.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crossroot, runBuffer } from '../support/cli.js';
import { makeBase, removeDir, seeded, tarTree, workDir } from './trees.js';

let work = '';
let good = '';
/** Member names in the good tarball with their data offsets, from GNU tar's own listing. */
let members: { name: string; offset: number; size: number }[] = [];

function expectBadInput(r: { code: number; stdout: string; stderr: string }, file: string, member?: string) {
  expect(r.code, r.stderr).toBe(3);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^crossroot: /);
  expect(lines[0]).toContain(file);
  if (member !== undefined) expect(lines[0]).toContain(`member ${member}`);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stdout).toBe('');
}

beforeAll(async () => {
  work = await workDir('bad');
  await makeBase(join(work, 'tree'));
  good = join(work, 'good.tar');
  await tarTree(join(work, 'tree'), good);
  // GNU tar -R: the block number of each header; data follows it
  const listing = (await runBuffer('tar', ['-tvR', '-f', good])).toString().trimEnd().split('\n');
  members = listing.flatMap((l) => {
    const m = /^block (\d+): \S+ \S+\s+(\d+) \S+ \S+ (.*?)( -> .*| link to .*)?$/.exec(l);
    return m === null ? [] : [{ name: m[3]!, offset: (Number(m[1]) + 1) * 512, size: Number(m[2]) }];
  });
  expect(members.length).toBeGreaterThan(10);
});
afterAll(() => removeDir(work));

describe('bad input: exit 3, one line, file and member named', () => {
  it('a tarball truncated inside a member', async () => {
    const tool = members.find((m) => m.name === './usr/bin/tool')!;
    const file = join(work, 'truncated.tar');
    await writeFile(file, (await readFile(good)).subarray(0, tool.offset + 5000));
    expectBadInput(await crossroot(['compare', good, file]), file, './usr/bin/tool');
    expectBadInput(await crossroot(['compare', file, good]), file, './usr/bin/tool');
  });

  it('a gzip tarball truncated', async () => {
    const gz = join(work, 'good.tar.gz');
    await writeFile(gz, await runBuffer('gzip', ['-c', '-n', good]));
    const file = join(work, 'truncated.tar.gz');
    const bytes = await readFile(gz);
    await writeFile(file, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    for (const args of [[good, file], [file, good]]) {
      const r = await crossroot(['compare', ...args]);
      expectBadInput(r, file);
      expect(r.stderr).toMatch(/member \.\/\S+: gzip: unexpected end of file/);
    }
  });

  it('an xz tarball with corrupt data', async () => {
    const xz = join(work, 'good.tar.xz');
    await writeFile(xz, await runBuffer('xz', ['-c', good]));
    const bytes = Buffer.from(await readFile(xz));
    for (let i = 0; i < 64; i++) bytes[Math.floor(bytes.length / 2) + i]! ^= 0x5a;
    const file = join(work, 'corrupt.tar.xz');
    await writeFile(file, bytes);
    for (const args of [[good, file], [file, good]]) {
      const r = await crossroot(['compare', ...args]);
      expectBadInput(r, file);
      expect(r.stderr).toMatch(/member \.\/\S*: xz: /);
    }
  });

  it('a zstd tarball truncated', async () => {
    const zst = join(work, 'good.tar.zst');
    await writeFile(zst, await runBuffer('zstd', ['-q', '-c', good]));
    const bytes = await readFile(zst);
    const file = join(work, 'truncated.tar.zst');
    await writeFile(file, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    for (const args of [[good, file], [file, good]]) expectBadInput(await crossroot(['compare', ...args]), file);
  });

  it('not a tarball at all', async () => {
    const file = join(work, 'random.tar');
    await writeFile(file, seeded(4096, 9));
    expectBadInput(await crossroot(['compare', good, file]), file);
  });

  it('a missing input', async () => {
    const file = join(work, 'nope.tar');
    expectBadInput(await crossroot(['compare', good, file]), file);
    expectBadInput(await crossroot(['compare', file, good]), file);
  });

  it('bzip2 is refused by name', async () => {
    const file = join(work, 'x.tar.bz2');
    await writeFile(file, await runBuffer('bzip2', ['-c', good]).catch(() => Buffer.from('BZh91AY&SY')));
    const r = await crossroot(['compare', good, file]);
    expectBadInput(r, file);
    expect(r.stderr).toContain('bzip2');
  });

  it('no report file is left behind when the input is bad', async () => {
    const file = join(work, 'nope.tar');
    const junit = join(work, 'bad.xml');
    expectBadInput(await crossroot(['compare', '--junit', junit, good, file]), file);
    await expect(readFile(junit)).rejects.toThrow(/ENOENT/);
  });
});

describe('usage: exit 2', () => {
  it('wrong number of inputs, unknown options, a report in a missing directory', async () => {
    for (const args of [[], [good], [good, good, good], ['--bogus', good, good], ['--junit'], ['--junit', join(work, 'no/such/dir/r.xml'), good, good]]) {
      const r = await crossroot(['compare', ...args]);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
  });

  it('--help documents the options and exits 0', async () => {
    const r = await crossroot(['compare', '--help']);
    expect(r.code).toBe(0);
    for (const word of ['--json', '--junit FILE', '--html FILE', '"version": 1', 'missing-in-a', 'Exit status']) expect(r.stdout).toContain(word);
  });
});
