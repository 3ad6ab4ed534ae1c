// Archive members beyond files, directories and links: crossroot allows what dpkg allows and
// refuses what it refuses (the host's `dpkg --root --unpack` is the oracle), with exit 3 and
// one line naming the package and member, and nothing outside the target.
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CrossrootError, exitCodeFor } from '../../src/errors.js';
import { hostDecompressor } from '../../src/host/decompress.js';
import { TargetRoot } from '../../src/install/target-root.js';
import { unpackAll } from '../../src/install/unpack.js';
import { crossroot, run, runBuffer } from '../support/cli.js';

const EVIL = fileURLToPath(new URL('../support/evil-deb.py', import.meta.url));
const TREE_LIST = fileURLToPath(new URL('../support/tree-list.py', import.meta.url));
let work = '';
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'crossroot-members-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

type Member = { name: string; type: string; data?: string; link?: string; mode?: number; major?: number; minor?: number; typeflag?: string; pax?: Record<string, string> };

async function makeDeb(name: string, members: Member[], pkg = 'evil'): Promise<string> {
  const deb = join(work, `${name}.deb`);
  await runBuffer('python3', [EVIL, deb, JSON.stringify(members), pkg]);
  return deb;
}

/** The host's dpkg unpacking `deb` into a fresh --root (an empty database, as a first install). */
async function dpkgUnpack(deb: string, root: string) {
  await mkdir(join(root, 'var/lib/dpkg/info'), { recursive: true });
  await mkdir(join(root, 'var/lib/dpkg/updates'), { recursive: true });
  await writeFile(join(root, 'var/lib/dpkg/status'), '');
  await writeFile(join(root, 'var/lib/dpkg/available'), '');
  return run('dpkg', [`--root=${root}`, '--unpack', deb]);
}

async function ours(debs: string[], root: string): Promise<unknown> {
  await mkdir(root, { recursive: true });
  try {
    await unpackAll(debs, new TargetRoot(root), { decompressor: hostDecompressor(), jobs: 1, semantics: 'dpkg' });
    return undefined;
  } catch (err) {
    return err;
  }
}

/** Every path but var/ (dpkg's database), directory mtimes left out (dpkg sets them as it renames in). */
async function tree(root: string): Promise<string[]> {
  const lines = (await runBuffer('python3', [TREE_LIST, root, '--no-dir-mtime'])).toString().trim().split('\n');
  return lines.filter((l) => !/"path": "var(\/|")/.test(l));
}

/** Exit 3, one line naming the .deb and the member (as the message escapes it), nothing outside. */
function expectRefused(err: unknown, code: string, deb: string, member: string) {
  expect(err).toBeInstanceOf(CrossrootError);
  const e = err as CrossrootError;
  expect(e.code).toBe(code);
  expect(exitCodeFor(e)).toBe(3);
  expect(e.message).toContain(deb);
  expect(e.message).toContain(member);
  expect(e.message).not.toContain('\n');
}

describe('archive members, against dpkg --root --unpack', () => {
  it('device nodes, a fifo, setuid/setgid files, a sticky directory and names with control characters are unpacked as dpkg unpacks them', async () => {
    const deb = await makeDeb('special', [
      { name: './', type: 'dir' },
      { name: './dev/', type: 'dir' },
      { name: './dev/null', type: 'char', major: 1, minor: 3, mode: 0o666 },
      { name: './dev/loop0', type: 'block', major: 7, minor: 0, mode: 0o660 },
      { name: './dev/initctl', type: 'fifo', mode: 0o600 },
      { name: './usr/', type: 'dir' },
      { name: './usr/bin/', type: 'dir' },
      { name: './usr/bin/su', type: 'file', data: '#!/bin/sh\n', mode: 0o4755 },
      { name: './usr/bin/wall', type: 'file', data: 'w', mode: 0o2755 },
      { name: './usr/bin/both', type: 'file', data: 'b', mode: 0o6711 },
      { name: './tmp/', type: 'dir', mode: 0o1777 },
      { name: './usr/bin/ctl\u0001\t\r\u001b[1mx', type: 'file', data: 'c' },
    ], 'special');
    const d = await dpkgUnpack(deb, join(work, 'special-dpkg'));
    expect(d.code, d.stderr).toBe(0);
    expect(await ours([deb], join(work, 'special-ours'))).toBeUndefined();
    const expected = await tree(join(work, 'special-dpkg'));
    expect(expected.some((l) => l.includes('"type": "char"') && l.includes('[1, 3]'))).toBe(true);
    expect(await tree(join(work, 'special-ours'))).toEqual(expected);
  });

  it('a pax header renaming a member (path=./../outside/pwned): refused, as dpkg refuses pax headers', async () => {
    await mkdir(join(work, 'pax', 'outside'), { recursive: true });
    const deb = await makeDeb('pax', [
      { name: './', type: 'dir' },
      { name: './usr/share/doc/harmless', type: 'file', data: 'x', pax: { path: './../outside/pwned' } },
    ]);
    const d = await dpkgUnpack(deb, join(work, 'pax-dpkg'));
    expect(d.code).not.toBe(0);
    expect(d.stderr).toContain("unsupported PAX tar header type 'x'");
    const err = await ours([deb], join(work, 'pax', 'root'));
    expectRefused(err, 'FORMAT_TAR_PAX', 'pax.deb', 'outside/pwned');
    expect(await readdir(join(work, 'pax', 'outside'))).toEqual([]);
    expect(await readdir(join(work, 'pax', 'root'))).toEqual([]);
  });

  it('a member of an unknown type (typeflag Z): refused, as dpkg refuses it, never unpacked as a file', async () => {
    const deb = await makeDeb('typeflag', [
      { name: './', type: 'dir' },
      { name: './odd', type: 'file', data: 'x', typeflag: 'Z' },
    ]);
    const d = await dpkgUnpack(deb, join(work, 'typeflag-dpkg'));
    expect(d.code).not.toBe(0);
    expect(d.stderr).toContain("unknown tar header type 'Z'");
    const root = join(work, 'typeflag-ours');
    expectRefused(await ours([deb], root), 'FORMAT_TAR_TYPE', 'typeflag.deb', './odd');
    expect(await readdir(root)).toEqual([]);
    // inspect, which lists members without unpacking, refuses it too (it listed a regular file).
    const r = await crossroot(['inspect', deb]);
    expect(r.code).toBe(3);
    expect(r.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(/^crossroot: .*typeflag\.deb: data\.tar: member \.\/odd: unknown tar member type/)]);
  });

  it('a symlink loop (a -> b, b -> a, then a/file) and a self loop: exit 3 naming the member', async () => {
    const deb = await makeDeb('loop', [
      { name: './', type: 'dir' },
      { name: './a', type: 'symlink', link: 'b' },
      { name: './b', type: 'symlink', link: 'a' },
      { name: './a/file', type: 'file', data: 'x' },
    ]);
    const d = await dpkgUnpack(deb, join(work, 'loop-dpkg'));
    expect(d.code).not.toBe(0); // dpkg: "Too many levels of symbolic links"
    expectRefused(await ours([deb], join(work, 'loop-ours')), 'INSTALL_UNSAFE_PATH', 'loop.deb', './a/file');
    const self = await makeDeb('self-loop', [
      { name: './', type: 'dir' },
      { name: './s', type: 'symlink', link: 's' },
      { name: './s/file', type: 'file', data: 'x' },
    ]);
    expectRefused(await ours([self], join(work, 'self-loop-ours')), 'INSTALL_UNSAFE_PATH', 'self-loop.deb', './s/file');
  });

  it('a member name over NAME_MAX (a 300-byte component): exit 3 naming the member, not an internal error', async () => {
    const long = `./usr/${'n'.repeat(300)}`;
    const deb = await makeDeb('name-max', [{ name: './', type: 'dir' }, { name: './usr/', type: 'dir' }, { name: long, type: 'file', data: 'x' }]);
    const d = await dpkgUnpack(deb, join(work, 'name-max-dpkg'));
    expect(d.code).not.toBe(0); // dpkg: "File name too long"
    expectRefused(await ours([deb], join(work, 'name-max-ours')), 'INSTALL_NAME_TOO_LONG', 'name-max.deb', `./usr/${'n'.repeat(300)}`);
  });

  it('a 250-byte name shipped by two packages (the second one goes through a temporary name past NAME_MAX): exit 3 naming the member', async () => {
    const long = `./${'m'.repeat(250)}`;
    const a = await makeDeb('long-a', [{ name: './', type: 'dir' }, { name: long, type: 'file', data: 'a' }], 'long-a');
    const b = await makeDeb('long-b', [{ name: './', type: 'dir' }, { name: long, type: 'file', data: 'b' }], 'long-b');
    // dpkg writes every file as NAME.dpkg-new first: it fails on the first package already.
    expect((await dpkgUnpack(a, join(work, 'long-dpkg'))).code).not.toBe(0);
    expectRefused(await ours([a, b], join(work, 'long-ours')), 'INSTALL_NAME_TOO_LONG', 'long-b.deb', long);
  });

  it('a control file without Package: exit 3 naming the .deb, as dpkg refuses it ("missing \'Package\' field")', async () => {
    const deb = await makeDeb('no-package', [{ name: './', type: 'dir' }], '-');
    const d = await dpkgUnpack(deb, join(work, 'no-package-dpkg'));
    expect(d.code).not.toBe(0);
    expect(d.stderr).toContain("missing 'Package' field");
    const err = await ours([deb], join(work, 'no-package-ours'));
    expectRefused(err, 'FORMAT_DEB_CONTROL_FIELD', 'no-package.deb', 'control.tar');
    const r = await crossroot(['inspect', deb]);
    expect(r.code).toBe(3);
    expect(r.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(/^crossroot: .*no-package\.deb: control\.tar: control file has no 'Package' field$/)]);
  });

  it('a control file whose Package dpkg refuses ("a/b"): exit 3 naming the .deb', async () => {
    const deb = await makeDeb('bad-name', [{ name: './', type: 'dir' }], 'a/b');
    const d = await dpkgUnpack(deb, join(work, 'bad-name-dpkg'));
    expect(d.code).not.toBe(0);
    expectRefused(await ours([deb], join(work, 'bad-name-ours')), 'FORMAT_DEB_CONTROL_FIELD', 'bad-name.deb', "character '/' not allowed");
  });
});
