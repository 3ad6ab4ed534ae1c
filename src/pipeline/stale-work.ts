// What killed runs left behind — removed when a build starts. A run killed by SIGKILL (a CI
// job's timeout, the OOM killer) runs no handler: its work directories in TMPDIR, its
// temporary output beside TARGET, its cache temporaries (`.partial-`) and a tools root it was
// building or publishing (work directories in CACHE/tools-v1) stay. Each carries its owner's tag (host/stale.ts); what a process no longer
// running owned is removed here, what a live run owns is left alone.

import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { STALE_PARTIAL, STALE_TEMPORARY_OUTPUT, STALE_WORK_DIRECTORY, removeStale } from '../host/stale.js';
import { PREPARED_DIR } from '../install/prepared.js';
import { TOOLS_ROOT_DIR } from './tools-root.js';

const swept = new Set<string>();

/** Once per directory per process: a build of the tools root inside a build finds nothing new. */
async function sweep(dir: string, pattern: RegExp): Promise<string[]> {
  const key = `${pattern.source}\0${dir}`;
  if (swept.has(key)) return [];
  swept.add(key);
  return removeStale(dir, pattern);
}

/**
 * Removes what dead runs left in TMPDIR, beside `target` and in the cache at `cacheDir`, and
 * says what in one log line.
 *
 * @example
 * await removeStaleWork({ cacheDir: cache.dir, target: 'out.tar', log });
 */
export async function removeStaleWork(opts: { cacheDir: string; target?: string; log: (line: string) => void }): Promise<string[]> {
  const removed = [...(await sweep(tmpdir(), STALE_WORK_DIRECTORY))];
  if (opts.target !== undefined) removed.push(...(await sweep(dirname(resolve(opts.target)), STALE_TEMPORARY_OUTPUT)));
  removed.push(...(await sweep(join(opts.cacheDir, TOOLS_ROOT_DIR), STALE_TEMPORARY_OUTPUT)));
  // A tools root is built in work directories beside its place (tools-root.ts).
  removed.push(...(await sweep(join(opts.cacheDir, TOOLS_ROOT_DIR), STALE_WORK_DIRECTORY)));
  for (const store of ['sha256', PREPARED_DIR]) {
    const top = join(opts.cacheDir, store);
    // 256 small directories each, read side by side: 12-23 ms on /work/exp/cache (one by one: 26-77 ms).
    const subs = (await readdir(top).catch(() => [] as string[])).sort();
    removed.push(...(await Promise.all(subs.map((sub) => sweep(join(top, sub), STALE_PARTIAL)))).flat());
  }
  if (removed.length > 0) opts.log(`removed ${removed.length} left by killed runs: ${removed.join(', ')}`);
  return removed;
}
