// Compressed members — the compressors deb(5) allows for control.tar/data.tar: gzip, xz, zstd, none.

import { once } from 'node:events';
import { createGunzip } from 'node:zlib';
import { CrossrootError, type ErrorContext } from '../errors.js';
import type { ByteSource } from './byte-source.js';

export type Compression = 'gzip' | 'xz' | 'zstd' | 'none';

const EXTENSIONS: Record<string, Compression> = { '': 'none', '.gz': 'gzip', '.xz': 'xz', '.zst': 'zstd' };

/**
 * The compression of a member named `base` plus an extension (`data.tar.xz` → `xz`), or
 * undefined when the name is not `base` or the extension is unknown.
 *
 * @example
 * compressionOf('control.tar.zst', 'control.tar') // 'zstd'
 */
export function compressionOf(name: string, base: string): Compression | undefined {
  if (!name.startsWith(base)) return undefined;
  return EXTENSIONS[name.slice(base.length)];
}

/**
 * Turns a compressed byte stream into a decompressed one. Implementations that spawn a
 * process live above `formats/` (STYLE rule 3); `ctx` names the file and member in errors.
 */
/** The writable end of a filter: node streams and streamx streams both fit. */
export interface FilterSink {
  write(chunk: Uint8Array): boolean;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- node and streamx declare end() differently
  end(...args: any[]): unknown;
  destroy(err?: Error): unknown;
  readonly destroyed: boolean;
  on(event: 'error', listener: (err: Error) => void): unknown;
}

export type Decompressor = (kind: Compression, input: ByteSource, ctx: ErrorContext) => AsyncIterable<Buffer>;

/**
 * Feeds `input` into `sink` while yielding `output`, for filters that are a writable end and
 * a readable end (a zlib Transform, a child process's stdin/stdout). An error reading the
 * input wins over whatever the filter then says about the input it did not get (a truncated
 * ar member is reported as truncated, not as a corrupt stream). `settle` runs after the
 * output ends (a process's exit status check).
 */
export async function* pumpThrough<T = Buffer>(
  input: ByteSource,
  sink: FilterSink,
  output: AsyncIterable<T>,
  settle: () => Promise<void> = async () => {},
): AsyncGenerator<T> {
  let inputError: unknown;
  const abort = new AbortController();
  sink.on('error', () => {}); // EPIPE when the filter quits early: its own status tells why
  const pump = (async () => {
    try {
      for await (const chunk of input) {
        if (sink.destroyed) continue; // keep reading: the source must be drained
        if (!sink.write(chunk)) {
          await once(sink as unknown as NodeJS.EventEmitter, 'drain', { signal: abort.signal }).catch(() => {});
        }
      }
      if (!sink.destroyed) sink.end();
    } catch (err) {
      inputError = err;
      // With the error, so that whoever waits on the filter's output (a tar entry stream
      // included) is woken with it rather than left waiting for data that never comes.
      sink.destroy(err instanceof Error ? err : new Error(String(err)));
    }
  })();
  try {
    try {
      for await (const chunk of output) yield chunk;
    } catch (err) {
      await pump;
      throw inputError ?? err;
    }
    await pump;
    if (inputError !== undefined) throw inputError;
    await settle();
  } finally {
    abort.abort();
    sink.destroy();
  }
}

/** gzip through node:zlib (multi-member streams included, as gzip -d reads them). */
export function gunzip(input: ByteSource, ctx: ErrorContext): AsyncIterable<Buffer> {
  const z = createGunzip();
  return mapErrors(pumpThrough(input, z, z), (err) =>
    err instanceof CrossrootError ? err : new CrossrootError('FORMAT_DECOMPRESS', `gzip: ${(err as Error).message}`, ctx),
  );
}

/** Rewrites errors thrown while iterating `source`. */
export async function* mapErrors<T>(source: AsyncIterable<T>, map: (err: unknown) => unknown): AsyncGenerator<T> {
  try {
    yield* source;
  } catch (err) {
    throw map(err);
  }
}

/** The pure part of decompression: gzip and none here; xz/zstd must come from `others`. */
export function pureDecompressor(others: Partial<Record<Compression, Decompressor>> = {}): Decompressor {
  return (kind, input, ctx) => {
    if (kind === 'none') return input as AsyncIterable<Buffer>;
    if (kind === 'gzip') return gunzip(input, ctx);
    const d = others[kind];
    if (d === undefined) throw new CrossrootError('FORMAT_COMPRESSION', `no decompressor for ${kind}`, ctx);
    return d(kind, input, ctx);
  };
}
