// Hostile members: each attack is refused with INSTALL_UNSAFE_PATH (exit 3) and nothing lands outside the root.
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CrossrootError, exitCodeFor } from '../../src/errors.js';
import { hostDecompressor } from '../../src/host/decompress.js';
import { TargetRoot } from '../../src/install/target-root.js';
import { unpackAll } from '../../src/install/unpack.js';
import { runBuffer } from '../support/cli.js';

const EVIL = fileURLToPath(new URL('../support/evil-deb.py', import.meta.url));
let work = '';
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'crossroot-attack-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

type Member = { name: string; type: 'file' | 'dir' | 'symlink' | 'hardlink'; data?: string; link?: string };

/** Unpacks a hostile deb into WORK/case/root; WORK/case/outside is the place it must not reach. */
async function attack(name: string, members: Member[]): Promise<{ error: unknown; outside: string[] }> {
  const dir = join(work, name);
  await mkdir(join(dir, 'root'), { recursive: true });
  await mkdir(join(dir, 'outside'), { recursive: true });
  const deb = join(dir, 'evil.deb');
  await runBuffer('python3', [EVIL, deb, JSON.stringify(members)]);
  let error: unknown;
  try {
    await unpackAll([deb], new TargetRoot(join(dir, 'root')), { decompressor: hostDecompressor(), jobs: 1 });
  } catch (err) {
    error = err;
  }
  return { error, outside: await readdir(join(dir, 'outside'), { recursive: true }) };
}

function expectRefused(r: { error: unknown; outside: string[] }, member: string) {
  expect(r.error).toBeInstanceOf(CrossrootError);
  const e = r.error as CrossrootError;
  expect(e.code).toBe('INSTALL_UNSAFE_PATH');
  expect(exitCodeFor(e)).toBe(3);
  expect(e.message).toContain('evil.deb');
  expect(e.message).toContain(member);
  expect(r.outside).toEqual([]);
}

describe('hostile members', () => {
  it('dot-dot member escaping the root', async () => {
    expectRefused(await attack('dotdot', [{ name: './../outside/pwned', type: 'file', data: 'x' }]), '../outside/pwned');
  });

  it('absolute member name', async () => {
    const target = join(work, 'absolute', 'outside', 'pwned');
    expectRefused(await attack('absolute', [{ name: target, type: 'file', data: 'x' }]), target);
  });

  it('symlink out of the root, then a write through it', async () => {
    const r = await attack('symlink-write', [
      { name: './escape', type: 'symlink', link: '../outside' },
      { name: './escape/pwned', type: 'file', data: 'x' },
    ]);
    expectRefused(r, './escape/pwned');
  });

  it('symlink chain whose ".." is read after the symlink, not lexically', async () => {
    // d/l2 -> l1/.. looks like "d" lexically, but l1 -> .. is the root, so l2 is above it.
    const r = await attack('symlink-chain', [
      { name: './d/', type: 'dir' },
      { name: './d/l1', type: 'symlink', link: '..' },
      { name: './d/l2', type: 'symlink', link: 'l1/..' },
      { name: './d/l2/outside/pwned', type: 'file', data: 'x' },
    ]);
    expectRefused(r, './d/l2/outside/pwned');
  });

  it('hard link to a path outside the root', async () => {
    const r = await attack('hardlink', [{ name: './h', type: 'hardlink', link: '../outside/target' }]);
    expectRefused(r, './h');
  });

  it('member name with a newline, splitting the .list and md5sums lines to claim a file the package does not ship', async () => {
    // ./claims\n/usr/bin/sudo would be written to info/PKG.list as two lines, "/claims" and
    // "/usr/bin/sudo": the package would own (and on removal delete) a file it never shipped.
    // dpkg refuses the name (archives.c tarobject: "newline not allowed in archive object name").
    const r = await attack('newline', [
      { name: './claims\n/', type: 'dir' },
      { name: './claims\n/usr/', type: 'dir' },
      { name: './claims\n/usr/bin/', type: 'dir' },
      { name: './claims\n/usr/bin/sudo', type: 'file', data: 'x' },
    ]);
    expectRefused(r, './claims\\n/');
    // One line, the name escaped: the message cannot forge lines of its own either.
    expect((r.error as Error).message).not.toContain('\n');
    expect((r.error as Error).message).toContain('newline');
    expect(await readdir(join(work, 'newline', 'root'))).toEqual([]);
  });

  it('a symlink inside the root that stays inside is followed, as merged /usr needs', async () => {
    const r = await attack('inside', [
      { name: './usr/', type: 'dir' },
      { name: './usr/bin/', type: 'dir' },
      { name: './bin', type: 'symlink', link: 'usr/bin' },
      { name: './bin/sh', type: 'file', data: '#!' },
    ]);
    expect(r.error).toBeUndefined();
    expect(await readdir(join(work, 'inside', 'root', 'usr', 'bin'))).toEqual(['sh']);
  });
});
