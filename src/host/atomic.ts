// Atomic file output — stage under a temporary name, rename when complete (STYLE rule 8).

import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CrossrootError } from '../errors.js';
import { ownerTag } from './stale.js';

let counter = 0;

/** A temporary name beside `path`, on the same file system, so a rename is atomic; named after its owner (stale.ts). */
export function temporaryNameFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.crossroot-tmp-${ownerTag()}-${++counter}`);
}

/**
 * Writes `data` to `path` atomically: readers see the old file or the whole new one. A file
 * the user named that cannot be written (missing directory, read-only) is a usage error.
 *
 * @example
 * await writeFileAtomic('report.html', htmlReport(c));
 */
export async function writeFileAtomic(path: string, data: string | Buffer, mode = 0o644): Promise<void> {
  const tmp = temporaryNameFor(path);
  try {
    await writeFile(tmp, data, { mode });
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    const e = err as NodeJS.ErrnoException;
    throw new CrossrootError('USAGE_OUTPUT', `cannot write: ${e.code ?? e.message}`, { file: path });
  }
}
