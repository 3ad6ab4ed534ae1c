// zstd in process — zstd-napi's streaming (de)compressor (RFC 8878 frames), with spawned
// `zstd` as the fallback where the native addon could not be built.
//
// In process, because spawning costs this process a fork: measured here, 12 ms per spawn at
// 100 MB resident, on the main thread, and a build reads hundreds of members.

import { createRequire } from 'node:module';
import type { Transform } from 'node:stream';
import { CrossrootError, type ErrorContext } from '../errors.js';
import type { ByteSource } from '../formats/byte-source.js';
import { mapErrors, pumpThrough } from '../formats/compression.js';

interface ZstdNapi {
  DecompressStream: new () => Transform;
  CompressStream: new (p: { compressionLevel: number; checksumFlag?: boolean }) => Transform;
}

let napi: ZstdNapi | null | undefined;

/** zstd-napi when its addon loads, else null (then the callers spawn `zstd`). */
export function zstdNapi(): ZstdNapi | null {
  if (napi === undefined) {
    try {
      napi = createRequire(import.meta.url)('zstd-napi') as ZstdNapi;
    } catch {
      napi = null;
    }
  }
  return napi;
}

/**
 * Decompresses a zstd stream in process; errors are FORMAT_DECOMPRESS naming `ctx`. Null when
 * zstd-napi is not available.
 *
 * @example
 * const out = zstdDecompressInProcess(fs.createReadStream('x.zst'), { file: 'x.zst' });
 */
export function zstdDecompressInProcess(input: ByteSource, ctx: ErrorContext): AsyncIterable<Buffer> | null {
  const z = zstdNapi();
  if (z === null) return null;
  const d = new z.DecompressStream();
  return mapErrors(pumpThrough(input, d, d as AsyncIterable<Buffer>), (err) =>
    err instanceof CrossrootError ? err : new CrossrootError('FORMAT_DECOMPRESS', `zstd: ${(err as Error).message}`, ctx),
  );
}

/**
 * A zstd compressing Transform (level `level`, with the frame checksum), or null when
 * zstd-napi is not available.
 */
export function zstdCompressStream(level: number): Transform | null {
  const z = zstdNapi();
  return z === null ? null : new z.CompressStream({ compressionLevel: level, checksumFlag: true });
}
