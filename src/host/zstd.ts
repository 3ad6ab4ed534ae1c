// zstd in process — zstd-napi's streaming (de)compressor (RFC 8878 frames), with spawned
// `zstd` as the fallback where the native addon could not be built.
//
// In process, because spawning costs this process a fork: measured here, 12 ms per spawn at
// 100 MB resident, on the main thread, and a build reads hundreds of members.

import { createRequire } from 'node:module';
import type { Transform } from 'node:stream';
import { CrossrootError, type ErrorContext } from '../errors.js';
import type { ByteSource } from '../formats/byte-source.js';
import { mapErrors } from '../formats/compression.js';

interface ZstdNapi {
  CompressStream: new (p: { compressionLevel: number; checksumFlag?: boolean }) => Transform;
}

/** zstd-napi's binding: a decompression context (ZSTD_DCtx) and its streaming call. */
interface DCtx {
  /** ZSTD_decompressStream: [hint (0 at the end of a frame), bytes produced, bytes consumed]. */
  decompressStream(dst: Uint8Array, src: Uint8Array): [number, number, number];
  reset(directive: number): void;
}
interface Binding {
  DCtx: new () => DCtx;
  dStreamOutSize(): number;
  ResetDirective: { sessionOnly: number };
}

let napi: { lib: ZstdNapi; binding: Binding } | null | undefined;

function load(): { lib: ZstdNapi; binding: Binding } | null {
  if (napi === undefined) {
    try {
      const require = createRequire(import.meta.url);
      napi = { lib: require('zstd-napi') as ZstdNapi, binding: require('zstd-napi/binding') as Binding };
    } catch {
      napi = null;
    }
  }
  return napi;
}

/**
 * Decompression contexts, reused. Each holds its window (512 KiB and more) in native memory
 * that is freed only when V8 collects the object, which a small heap seldom does: one
 * context per member made the process grow by some 40 MB over a build.
 */
const idle: DCtx[] = [];

async function* decompressInProcess(b: Binding, input: ByteSource): AsyncGenerator<Buffer> {
  const dctx = idle.pop() ?? new b.DCtx();
  const outSize = b.dStreamOutSize();
  let inFrame = false;
  try {
    for await (const chunk of input) {
      let src = chunk;
      for (;;) {
        const dst = Buffer.allocUnsafe(outSize);
        const [hint, produced, consumed] = dctx.decompressStream(dst, src);
        if (produced > 0) yield dst.subarray(0, produced);
        src = src.subarray(consumed);
        if (src.length === 0 && (produced < dst.length || hint === 0)) {
          inFrame = hint !== 0;
          break;
        }
      }
    }
    if (inFrame) throw new Error('stream ended in the middle of a compressed frame');
  } finally {
    dctx.reset(b.ResetDirective.sessionOnly);
    idle.push(dctx);
  }
}

/**
 * Decompresses a zstd stream in process; errors are FORMAT_DECOMPRESS naming `ctx`. Null when
 * zstd-napi is not available.
 *
 * @example
 * const out = zstdDecompressInProcess(fs.createReadStream('x.zst'), { file: 'x.zst' });
 */
export function zstdDecompressInProcess(input: ByteSource, ctx: ErrorContext): AsyncIterable<Buffer> | null {
  const z = load();
  if (z === null) return null;
  return mapErrors(decompressInProcess(z.binding, input), (err) =>
    err instanceof CrossrootError ? err : new CrossrootError('FORMAT_DECOMPRESS', `zstd: ${(err as Error).message}`, ctx),
  );
}

/**
 * A zstd compressing Transform (level `level`, with the frame checksum), or null when
 * zstd-napi is not available.
 */
export function zstdCompressStream(level: number): Transform | null {
  const z = load();
  return z === null ? null : new z.lib.CompressStream({ compressionLevel: level, checksumFlag: true });
}
