// An image read back as a tar stream — a host program that writes the image's tree as tar on
// stdout (sqfs2tar for squashfs), for `compare`.

import { spawn } from 'node:child_process';
import { CrossrootError } from '../errors.js';
import { findProgram } from '../host/programs.js';

/**
 * The stdout of `program args` as a byte stream; a missing program is a HOST_ error (exit 4)
 * with the fix, a non-zero exit a FORMAT_IMAGE error (exit 3) with the tail of its stderr,
 * raised after the last chunk. Ending the stream early kills the program.
 *
 * @example
 * for await (const chunk of programOutput('sqfs2tar', ['--root-becomes', '.', 'x.sqfs'], 'squashfs-tools-ng', 'x.sqfs')) ...
 */
export async function* programOutput(program: string, args: readonly string[], debianPackage: string, file: string): AsyncGenerator<Buffer> {
  const path = findProgram(program);
  if (path === undefined) throw new CrossrootError(`HOST_MISSING_${program.toUpperCase()}`, `${program} is needed to read ${file}: apt-get install ${debianPackage}`);
  const child = spawn(path, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4096)));
  const closed = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
  let done = false;
  try {
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) yield chunk;
    done = true;
  } finally {
    if (!done) child.kill('SIGTERM');
  }
  const code = await closed;
  if (code !== 0) {
    throw new CrossrootError('FORMAT_IMAGE', `${program} failed (exit ${code}): ${stderr.trim().split('\n').slice(-2).join(' / ')}`, { file });
  }
}
