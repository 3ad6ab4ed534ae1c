// Two packages racing a symlink and a file below it: one ships `xI` as a symlink to a place
// outside the root, the other `xI/file`. Unpacked concurrently, every file must land where
// extracting the packages one after another would put it (a symlink's absolute target is read
// inside the root, as under chroot), or the unpack stops with exit 3 naming the package and
// member — never anything outside the root.
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CrossrootError, exitCodeFor } from '../../src/errors.js';
import { hostDecompressor } from '../../src/host/decompress.js';
import { TargetRoot } from '../../src/install/target-root.js';
import { stagePackage, unpackAll, type PackageSource } from '../../src/install/unpack.js';
import { runBuffer } from '../support/cli.js';

const EVIL = fileURLToPath(new URL('../support/evil-deb.py', import.meta.url));
const PAIRS = 20;
let work = '';
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'crossroot-race-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/**
 * links-B.deb: B symlinks lbJ -> nowhere, then x0..x19 -> OUTSIDE (absolute); files-A.deb: A
 * directories faJ/, then x0/file..x19/file. The padding shifts one package against the other,
 * so that some pair meets with the symlink made between the file's resolution and its creation.
 */
async function deb(kind: 'links' | 'files', pad: number, outside: string): Promise<string> {
  await mkdir(outside, { recursive: true });
  const members =
    kind === 'links'
      ? [...Array.from({ length: pad }, (_, j) => ({ name: `./lb${j}`, type: 'symlink', link: 'nowhere' })), ...Array.from({ length: PAIRS }, (_, i) => ({ name: `./x${i}`, type: 'symlink', link: outside }))]
      : [...Array.from({ length: pad }, (_, j) => ({ name: `./fa${j}/`, type: 'dir' })), ...Array.from({ length: PAIRS }, (_, i) => ({ name: `./x${i}/file`, type: 'file', data: `file ${i}\n` }))];
  const path = join(outside, '..', `${kind}-${pad}.deb`);
  await runBuffer('python3', [EVIL, path, JSON.stringify(members), kind]);
  return path;
}

/** Unpacks the sources with 2 jobs into a fresh root; checks nothing reached OUTSIDE and the result is the one-after-another one or exit 3. */
async function race(name: string, sources: PackageSource[], names: string[], outside: string): Promise<'ok' | 'refused'> {
  const root = join(work, name, 'root');
  await mkdir(root, { recursive: true });
  let error: unknown;
  try {
    await unpackAll(sources, new TargetRoot(root), { decompressor: hostDecompressor(), jobs: 2, names });
  } catch (err) {
    error = err;
  }
  expect(await readdir(outside, { recursive: true }), `${name}: written outside the root`).toEqual([]);
  if (error !== undefined) {
    expect(error, name).toBeInstanceOf(CrossrootError);
    expect(exitCodeFor(error)).toBe(3);
    expect((error as Error).message).toMatch(/^(links|files)\.deb: data\.tar: member \.\/x[0-9]+(\/file)?: [^\n]+$/);
    return 'refused';
  }
  // One after another, files.deb's xI/file goes through links.deb's xI -> OUTSIDE, which
  // inside the root is ROOT/OUTSIDE: one file there, written last by the last pair.
  expect(await readdir(join(root, outside))).toEqual(['file']);
  return 'ok';
}

/** Every phase of links-B.deb against files-A.deb, staged ahead (as a build stages packages), in the given order. */
async function sweep(name: string, first: 'links' | 'files'): Promise<string[]> {
  const outside = join(work, name, 'outside');
  const links = await Promise.all([0, 1, 2, 3].map((b) => deb('links', b, outside)));
  const files = await Promise.all([0, 1, 2, 3, 4, 5].map((a) => deb('files', a, outside)));
  const seen: string[] = [];
  for (const [a, f] of files.entries()) {
    for (const [b, l] of links.entries()) {
      const staging = join(work, name, `${a}-${b}`, 'staging');
      await mkdir(staging, { recursive: true });
      const sources = [];
      for (const d of first === 'links' ? [l, f] : [f, l]) sources.push(await stagePackage(d, staging, { decompressor: hostDecompressor(), file: d }));
      seen.push(await race(join(name, `${a}-${b}`), sources, first === 'links' ? ['links.deb', 'files.deb'] : ['files.deb', 'links.deb'], outside));
    }
  }
  return seen;
}

describe('unpack concurrency', () => {
  it('two packages racing a symlink out of the root (first) and a file below it (second)', async () => {
    // Both outcomes occur across the phases: the sweep reaches the race.
    expect(new Set(await sweep('links-first', 'links'))).toEqual(new Set(['ok', 'refused']));
  });

  it('two packages racing a file (first) and a symlink out of the root over its directory (second)', async () => {
    // One after another, files.deb makes x0 a directory and links.deb's x0 is refused
    // (dpkg: "trying to overwrite directory"): whichever runs first, the result is exit 3.
    expect(new Set(await sweep('files-first', 'files'))).toEqual(new Set(['refused']));
  });
});
