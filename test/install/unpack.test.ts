// Unpacking against GNU tar: the same debs, in the same order, give the same tree.
import { lutimes, mkdir, mkdtemp, rm, symlink, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostDecompressor } from '../../src/host/decompress.js';
import { TargetRoot } from '../../src/install/target-root.js';
import { unpackAll } from '../../src/install/unpack.js';
import { runBuffer } from '../support/cli.js';
import { realDebs } from '../support/real-debs.js';

const TREE_LIST = fileURLToPath(new URL('../support/tree-list.py', import.meta.url));
let work = '';
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'crossroot-unpack-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A root with mmdebstrap's merged-usr hook links (bin -> usr/bin, ...), as amd64 gets them. */
async function mergedUsrRoot(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  for (const d of ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32']) {
    await mkdir(join(dir, 'usr', d), { recursive: true });
    await symlink(`usr/${d}`, join(dir, d));
    await utimes(join(dir, 'usr', d), 1000, 1000);
    await lutimes(join(dir, d), 1000, 1000);
  }
  return dir;
}

/**
 * The tree listing. The mtime of a directory that directly holds a non-directory is left
 * out: dpkg's unpack changes it after extraction anyway (see src/install/unpack.ts), and
 * GNU tar leaves some of them with its clock time.
 */
async function listTree(root: string): Promise<string> {
  const records = (await runBuffer('python3', [TREE_LIST, root])).toString().trim().split('\n').map((l) => JSON.parse(l) as { path: string; type: string; mtime?: number });
  const holders = new Set(records.filter((r) => r.type !== 'dir').map((r) => (r.path.includes('/') ? r.path.replace(/\/[^/]*$/, '') : '.')));
  return records.map((r) => JSON.stringify(r.type === 'dir' && holders.has(r.path) ? { ...r, mtime: 'dpkg' } : r)).join('\n');
}

describe('unpackAll equals dpkg-deb --fsys-tarfile | tar --keep-directory-symlink -x, deb after deb', () => {
  it('bookworm amd64 buildd set, merged /usr, 2 jobs', async () => {
    const { debs } = await realDebs({ suite: 'bookworm', arch: 'amd64', variant: 'buildd' });
    const oracle = await mergedUsrRoot(join(work, 'tar'));
    for (const deb of debs) {
      await runBuffer('sh', ['-c', 'dpkg-deb --fsys-tarfile "$1" | tar -C "$2" --keep-directory-symlink -x -f -', 'sh', deb, oracle]);
    }
    const ours = await mergedUsrRoot(join(work, 'ours'));
    const unpacked = await unpackAll(debs, new TargetRoot(ours), { decompressor: hostDecompressor(), jobs: 2 });
    expect(unpacked.map((u) => u.control.control.get('Package'))).toHaveLength(debs.length);
    const [a, b] = await Promise.all([listTree(oracle), listTree(ours)]);
    expect(a).toMatch(/"mtime":\d+,"path":"usr\/share","type":"dir"/); // a directory of directories keeps its mtime
    expect(b.split('\n').length).toBeGreaterThan(10_000);
    expect(b).toBe(a);
  }, 600_000);
});
