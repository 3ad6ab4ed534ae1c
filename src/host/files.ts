// Input files — opening what a user names, with errors that name it.

import { constants, createReadStream } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { CrossrootError } from '../errors.js';

/** Opens a file for streaming; a missing or unreadable file is a clear exit-3 error. */
export async function openInput(file: string): Promise<AsyncIterable<Buffer>> {
  try {
    if ((await stat(file)).isDirectory()) throw new CrossrootError('INSTALL_INPUT', 'is a directory, not a file', { file });
    await access(file, constants.R_OK);
    return createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>;
  } catch (err) {
    if (err instanceof CrossrootError) throw err;
    const e = err as NodeJS.ErrnoException;
    throw new CrossrootError('INSTALL_INPUT', e.code === 'ENOENT' ? 'no such file' : `cannot open: ${e.message}`, { file });
  }
}
