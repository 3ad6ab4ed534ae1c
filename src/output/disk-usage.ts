// The size of an ext2 image — mmdebstrap 1.3.5's `approx_disk_usage` (4329-4368), whose
// figure is genext2fs's -b: regular files in 1 KiB blocks, everything else one block each.

import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DEV_ENTRIES } from './dev-entries.js';

/**
 * mmdebstrap's block count for `root`: `int((size + 1024) / 1024)` per regular file (so an
 * empty file is 1, a 1024-byte one 2), 1 per directory, symlink and other entry, the root
 * itself included, every hard link counted; `./dev` counts as its 15 synthesised entries
 * whatever it holds (mmdebstrap's root always has one); then `int(total * 1.1)`.
 *
 * @example
 * await approxDiskUsage('/tmp/root'); // 61234
 */
export async function approxDiskUsage(root: string): Promise<number> {
  let total = 1 + DEV_ENTRIES.length; // the root itself; ./dev
  const walk = async (dir: string): Promise<void> => {
    for (const name of await readdir(dir)) {
      const path = join(dir, name);
      if (dir === root && name === 'dev') continue;
      const st = await lstat(path);
      if (st.isFile()) total += Math.floor((st.size + 1024) / 1024);
      else total += 1;
      if (st.isDirectory()) await walk(path);
    }
  };
  await walk(root);
  return Math.floor(total * 1.1);
}
