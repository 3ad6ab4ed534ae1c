// Compare inputs — a tarball (tar(5): plain, gzip, xz, zstd) or a directory, readable more than once.

import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { CrossrootError, addContext } from '../errors.js';
import type { Compression, Decompressor } from '../formats/compression.js';
import { readTar } from '../formats/tar/read.js';
import { walkDirectory } from './directory-walk.js';
import { memberFromTarEntry, type TreeMember } from './member.js';

/** What an input is: `directory`, or a tarball and its compression. */
export type TreeFormat = 'directory' | 'tar' | 'tar.gz' | 'tar.xz' | 'tar.zst';

/** An opened input. `members()` starts a new pass over it each time it is called. */
export interface TreeSource {
  /** The path as the user gave it: reports and error messages name the input by it. */
  label: string;
  format: TreeFormat;
  members(): AsyncIterable<TreeMember>;
}

const FORMAT_OF: Record<Compression, TreeFormat> = { none: 'tar', gzip: 'tar.gz', xz: 'tar.xz', zstd: 'tar.zst' };

/** Compression from the first bytes (RFC 1952, xz-file-format, RFC 8878 magic numbers). */
function sniff(head: Buffer): Compression | 'bzip2' {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  if (head.subarray(0, 4).equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))) return 'zstd';
  if (head.subarray(0, 3).toString('latin1') === 'BZh') return 'bzip2';
  return 'none';
}

/** Compression from the name, for inputs too short to carry a magic number. */
function byExtension(path: string): Compression {
  if (/\.(tar\.gz|tgz)$/.test(path)) return 'gzip';
  if (/\.(tar\.xz|txz)$/.test(path)) return 'xz';
  if (/\.(tar\.zst|tzst)$/.test(path)) return 'zstd';
  return 'none';
}

async function headOf(path: string): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(6);
    const { bytesRead } = await fh.read(buf, 0, 6, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/**
 * Members of a tarball, with errors naming the input and the member being read. A failing
 * decompressor wins over what the tar parser then says about the bytes it did not get
 * ("xz: Compressed data is corrupt", not "Stream was destroyed"), as in `pumpThrough`.
 *
 * Every wait on the tar reader also races the decompressor's failure: when the decompressor
 * fails while the consumer is between two members, `readTar` can wait forever on a member
 * stream that will never end (Node then drains its event loop and exits 0, which for compare
 * would read as "identical").
 */
async function* tarMembers(path: string, compression: Compression, decompressor: Decompressor): AsyncGenerator<TreeMember> {
  const ctx = { file: path };
  let last: string | undefined;
  let sourceError: unknown;
  // Waits in progress, failed at once when the source fails. Not Promise.race against one
  // long-lived promise: every race would leave a reaction on it holding its result (a chunk).
  const waiting = new Set<(err: unknown) => void>();
  const sourceFailed = (err: unknown) => {
    for (const reject of waiting) reject(err);
    waiting.clear();
  };
  const unlessFailed = <T>(p: Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (sourceError !== undefined) return reject(sourceError);
      waiting.add(reject);
      p.then(
        (v) => {
          waiting.delete(reject);
          resolve(v);
        },
        (err: unknown) => {
          waiting.delete(reject);
          reject(err);
        },
      );
    });
  const raw = decompressor(compression, createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>, ctx);
  const bytes = (async function* () {
    try {
      yield* raw;
    } catch (err) {
      sourceError = err;
      sourceFailed(err);
      throw err;
    }
  })();
  const fail = (err: unknown) => addContext(sourceError ?? err, last === undefined ? ctx : { ...ctx, path: last });
  const guarded = <T>(it: AsyncIterator<T>): AsyncIterable<T> => ({
    [Symbol.asyncIterator]: () => ({
      next: async () => {
        try {
          return await unlessFailed(it.next());
        } catch (err) {
          throw fail(err);
        }
      },
      return: async () => (await it.return?.()) ?? { done: true, value: undefined },
    }),
  });
  for await (const { entry, body } of guarded(readTar(bytes, ctx))) {
    last = entry.path;
    yield { member: memberFromTarEntry(entry), body: guarded(body[Symbol.asyncIterator]()) };
  }
}

/**
 * Opens a compare input: a directory, or a tarball whose compression is found from its magic
 * number (the extension only decides for a file shorter than one). Missing or unreadable
 * inputs are FORMAT_INPUT errors (exit 3); bzip2 is refused: there is no
 * decompressor for it here (Debian root tarballs are gzip, xz or zstd).
 *
 * @example
 * const a = await openTree('rootfs.tar.zst', { decompressor: hostDecompressor() });
 * for await (const { member } of a.members()) console.log(member.name);
 */
export async function openTree(path: string, options: { decompressor: Decompressor }): Promise<TreeSource> {
  let isDir: boolean;
  let head: Buffer;
  try {
    const st = await stat(path);
    isDir = st.isDirectory();
    head = isDir ? Buffer.alloc(0) : await headOf(path);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new CrossrootError('FORMAT_INPUT', e.code === 'ENOENT' ? 'no such file or directory' : `cannot open: ${e.message}`, { file: path });
  }
  if (isDir) return { label: path, format: 'directory', members: () => walkDirectory(path) };
  const found = head.length < 6 ? byExtension(path) : sniff(head);
  if (found === 'bzip2') throw new CrossrootError('FORMAT_COMPRESSION', 'bzip2 tarballs are not supported (use gzip, xz or zstd)', { file: path });
  return { label: path, format: FORMAT_OF[found], members: () => tarMembers(path, found, options.decompressor) };
}
