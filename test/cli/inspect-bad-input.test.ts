// Bad packages made from a real one: each is exit 3 with one line naming the file and member.
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crossroot, runBuffer } from '../support/cli.js';
import { realDebs } from '../support/real-debs.js';

let work = '';
let original = '';

/** Offset and size of an ar member, read with binutils `ar` as the oracle of the layout. */
async function memberSpan(deb: string, member: string): Promise<{ offset: number; size: number }> {
  const bytes = await readFile(deb);
  const data = await runBuffer('ar', ['p', deb, member]);
  const offset = bytes.indexOf(data);
  expect(offset).toBeGreaterThan(0);
  return { offset, size: data.length };
}

function expectBadInput(r: { code: number; stdout: string; stderr: string }, file: string, member?: string) {
  expect(r.code, r.stderr).toBe(3);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^crossroot: /);
  expect(lines[0]).toContain(file);
  if (member !== undefined) expect(lines[0]).toContain(member);
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
}

beforeAll(async () => {
  const { debs } = await realDebs({ suite: 'bookworm', arch: 'amd64', variant: 'buildd' });
  work = await mkdtemp(join(tmpdir(), 'crossroot-bad-'));
  // dpkg: xz members, scripts, conffiles; big enough that truncation lands inside data.tar.
  original = join(work, 'dpkg.deb');
  await copyFile(debs.find((d) => basename(d).startsWith('dpkg_'))!, original);
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('bad packages exit 3 with a one-line message', () => {
  it('truncated inside data.tar.xz', async () => {
    const bytes = await readFile(original);
    const { offset, size } = await memberSpan(original, 'data.tar.xz');
    const file = join(work, 'truncated.deb');
    await writeFile(file, bytes.subarray(0, offset + Math.floor(size / 2)));
    expectBadInput(await crossroot(['inspect', file]), file, 'data.tar.xz');
  });

  it('truncated inside an ar header', async () => {
    const bytes = await readFile(original);
    const { offset } = await memberSpan(original, 'control.tar.xz');
    const file = join(work, 'truncated-header.deb');
    await writeFile(file, bytes.subarray(0, offset - 30));
    expectBadInput(await crossroot(['inspect', file]), file);
  });

  it('corrupt ar magic', async () => {
    const bytes = Buffer.from(await readFile(original));
    bytes.write('!<arcX>\n', 0, 'latin1');
    const file = join(work, 'magic.deb');
    await writeFile(file, bytes);
    const r = await crossroot(['inspect', file]);
    expectBadInput(r, file);
    expect(r.stderr).toMatch(/magic/);
  });

  it('wrong member order (data.tar before control.tar)', async () => {
    const dir = join(work, 'order');
    await mkdir(dir);
    for (const m of ['debian-binary', 'control.tar.xz', 'data.tar.xz']) {
      await writeFile(join(dir, m), await runBuffer('ar', ['p', original, m]));
    }
    const file = join(work, 'order.deb');
    await runBuffer('ar', ['qcD', file, 'debian-binary', 'data.tar.xz', 'control.tar.xz'], { cwd: dir });
    expect((await runBuffer('ar', ['t', file])).toString()).toBe('debian-binary\ndata.tar.xz\ncontrol.tar.xz\n');
    expectBadInput(await crossroot(['inspect', file]), file, 'data.tar.xz');
  });

  it('corrupt xz data in data.tar.xz', async () => {
    const bytes = Buffer.from(await readFile(original));
    const { offset, size } = await memberSpan(original, 'data.tar.xz');
    for (let i = 0; i < 64; i++) bytes[offset + Math.floor(size / 2) + i] ^= 0x5a;
    const file = join(work, 'corrupt-xz.deb');
    await writeFile(file, bytes);
    expectBadInput(await crossroot(['inspect', file]), file, 'data.tar.xz');
  });

  it('corrupt zstd data in data.tar.zst', async () => {
    const tree = join(work, 'tree');
    await runBuffer('dpkg-deb', ['-R', original, tree]);
    const zst = join(work, 'zst.deb');
    await runBuffer('dpkg-deb', ['-Zzstd', '-b', tree, zst]);
    const bytes = Buffer.from(await readFile(zst));
    const { offset, size } = await memberSpan(zst, 'data.tar.zst');
    for (let i = 0; i < 64; i++) bytes[offset + Math.floor(size / 2) + i] ^= 0x5a;
    const file = join(work, 'corrupt-zst.deb');
    await writeFile(file, bytes);
    expectBadInput(await crossroot(['inspect', file]), file, 'data.tar.zst');
  });

  it('corrupt gzip data in control.tar.gz', async () => {
    const tree = join(work, 'tree-gz');
    await runBuffer('dpkg-deb', ['-R', original, tree]);
    const gz = join(work, 'gz.deb');
    await runBuffer('dpkg-deb', ['-Zgzip', '-b', tree, gz]);
    const bytes = Buffer.from(await readFile(gz));
    const { offset } = await memberSpan(gz, 'control.tar.gz');
    for (let i = 12; i < 40; i++) bytes[offset + i] ^= 0x5a;
    const file = join(work, 'corrupt-gz.deb');
    await writeFile(file, bytes);
    expectBadInput(await crossroot(['inspect', file]), file, 'control.tar.gz');
  });

  it('a missing file and a directory are exit 3 too', async () => {
    expectBadInput(await crossroot(['inspect', join(work, 'nope.deb')]), join(work, 'nope.deb'));
    expectBadInput(await crossroot(['inspect', work]), work);
  });

  it('usage errors are exit 2', async () => {
    expect((await crossroot(['inspect'])).code).toBe(2);
    expect((await crossroot(['inspect', '--bogus', original])).code).toBe(2);
    expect((await crossroot(['frobnicate'])).code).toBe(2);
  });
});
