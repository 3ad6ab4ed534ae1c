// Atomic report files — write a temporary name, then rename(2) over the target (STYLE.md rule 8).

import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CrossrootError } from '../errors.js';

/**
 * Writes `data` to `path` so that readers see the old file or the whole new one, never a
 * part: the bytes land in a temporary file in the same directory, renamed when complete.
 *
 * @example
 * await writeFileAtomic('report.html', htmlReport(c));
 */
export async function writeFileAtomic(path: string, data: string | Buffer): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    const e = err as NodeJS.ErrnoException;
    throw new CrossrootError('USAGE_OUTPUT', `cannot write: ${e.code ?? e.message}`, { file: path });
  }
}
