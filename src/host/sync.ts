// Syncing a file system — syncfs(2) through coreutils' `sync -f`, which node does not expose.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CrossrootError } from '../errors.js';
import { findProgram } from './programs.js';

const execFileAsync = promisify(execFile);

/**
 * Flushes the file system holding `path` to disk (one syncfs(2)): what a tree written without
 * per-file fsync(2) needs before it takes a name that later runs trust.
 *
 * @example
 * await syncFileSystem('/var/cache/crossroot/tools-v1/.tmp-3f'); // every file below is on disk
 */
export async function syncFileSystem(path: string): Promise<void> {
  const sync = findProgram('sync');
  if (sync === undefined) throw new CrossrootError('HOST_MISSING_SYNC', 'sync (coreutils) is needed to flush the tools root to disk: apt-get install coreutils');
  try {
    await execFileAsync(sync, ['-f', path]);
  } catch (err) {
    throw new CrossrootError('HOST_SYNC', `sync -f failed: ${(err as Error).message.split('\n')[0]}`, { path });
  }
}
