// Compare inputs — any output the format registry reads (output/format.ts), readable more than once.

import { addContext } from '../errors.js';
import type { Decompressor } from '../formats/compression.js';
import { readerFor } from '../output/format.js';
import { readTar } from '../formats/tar/read.js';
import { walkDirectory } from './directory-walk.js';
import { memberFromTarEntry, type TreeMember } from './member.js';

/** What an input is, as reports name it: `directory`, `tar`, `tar.gz`, ... (output/format.ts). */
export type TreeFormat = string;

/** An opened input. `members()` starts a new pass over it each time it is called. */
export interface TreeSource {
  /** The path as the user gave it: reports and error messages name the input by it. */
  label: string;
  format: TreeFormat;
  members(): AsyncIterable<TreeMember>;
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
async function* tarMembers(path: string, source: () => AsyncIterable<Buffer>, ownerNames = true): AsyncGenerator<TreeMember> {
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
  const raw = source();
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
    const member = memberFromTarEntry(entry);
    // A format without owner names records none, as a directory (compare then skips them).
    if (!ownerNames) {
      delete member.uname;
      delete member.gname;
    }
    yield { member, body: guarded(body[Symbol.asyncIterator]()) };
  }
}

/**
 * Opens a compare input: a directory, or a file the output-format registry recognises by its
 * content (output/format.ts: a tarball whose compression is found from its magic number, the
 * extension deciding only for a file shorter than one). Missing or unreadable inputs are
 * FORMAT_INPUT errors (exit 3); bzip2 is refused: there is no decompressor for it here
 * (Debian root tarballs are gzip, xz or zstd).
 *
 * @example
 * const a = await openTree('rootfs.tar.zst', { decompressor: hostDecompressor() });
 * for await (const { member } of a.members()) console.log(member.name);
 */
export async function openTree(path: string, options: { decompressor: Decompressor }): Promise<TreeSource> {
  const reader = await readerFor(path);
  if (reader.kind === 'directory') return { label: path, format: 'directory', members: () => walkDirectory(path) };
  return { label: path, format: reader.label, members: () => tarMembers(path, () => reader.bytes(options.decompressor), reader.ownerNames) };
}
