// Host decompressors — spawned `xz -dc` (wasm xz as the fallback), zstd in process (spawned `zstd -dc` as the fallback).

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { CrossrootError, type ErrorContext } from '../errors.js';
import type { ByteSource } from '../formats/byte-source.js';
import { mapErrors, pumpThrough, pureDecompressor, type Compression, type Decompressor } from '../formats/compression.js';
import { findProgram } from './programs.js';
import { zstdDecompressInProcess } from './zstd.js';

/** Runs `program -dc` as a streaming filter; a non-zero exit is a corrupt-input error. */
function spawnFilter(program: string, kind: Compression, input: ByteSource, ctx: ErrorContext): AsyncIterable<Buffer> {
  const child = spawn(program, ['-dc'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const stderr: Buffer[] = [];
  child.stderr.on('data', (c: Buffer) => stderr.push(c));
  const closed = once(child, 'close') as Promise<[number | null, NodeJS.Signals | null]>;
  const settle = async () => {
    const [code, signal] = await closed;
    if (code !== 0) {
      const why = Buffer.concat(stderr).toString().trim().split('\n').pop()?.replace(/^[^:]*: \(stdin\): /, '') ?? '';
      throw new CrossrootError('FORMAT_DECOMPRESS', `${kind}: ${why || `exit ${code ?? signal}`}`, ctx);
    }
  };
  const out = (async function* () {
    try {
      yield* pumpThrough(input, child.stdin, child.stdout as AsyncIterable<Buffer>, settle);
    } catch (err) {
      if (err instanceof CrossrootError) throw err;
      await settle(); // the process's own verdict is the clearer message
      throw new CrossrootError('FORMAT_DECOMPRESS', `${kind}: ${(err as Error).message}`, ctx);
    } finally {
      if (child.exitCode === null) child.kill();
    }
  })();
  return out;
}

/** xz in process (WebAssembly), for hosts without an `xz` binary. */
async function* wasmXz(input: ByteSource, ctx: ErrorContext): AsyncGenerator<Buffer> {
  // A CommonJS package: under ESM its exports arrive on `default`.
  let mod: { XzReadableStream?: unknown; default?: { XzReadableStream: unknown } };
  try {
    mod = (await import('xz-decompress')) as unknown as typeof mod;
  } catch {
    throw new CrossrootError('HOST_MISSING_XZ', 'xz is needed for .xz members and neither the xz program nor the xz-decompress module is here: apt-get install xz-utils', ctx);
  }
  const XzReadableStream = (mod.XzReadableStream ?? mod.default?.XzReadableStream) as new (s: ReadableStream<Uint8Array>) => ReadableStream<Uint8Array>;
  const web = Readable.toWeb(Readable.from(input)) as ReadableStream<Uint8Array>;
  yield* mapErrors(Readable.fromWeb(new XzReadableStream(web) as never) as AsyncIterable<Buffer>, (err) =>
    err instanceof CrossrootError ? err : new CrossrootError('FORMAT_DECOMPRESS', `xz: ${(err as Error).message}`, ctx),
  );
}

/**
 * The decompressor crossroot uses on this host: zlib for gzip, `xz -dc` (or wasm xz when no
 * binary exists), zstd in process (zstd-napi, or `zstd -dc` when its addon is missing).
 *
 * @example
 * for await (const chunk of hostDecompressor()('xz', fs.createReadStream('x.xz'), { file: 'x.xz' })) {}
 */
export function hostDecompressor(): Decompressor {
  return pureDecompressor({
    xz: (kind, input, ctx) => {
      const xz = findProgram('xz');
      return xz === undefined ? wasmXz(input, ctx) : spawnFilter(xz, kind, input, ctx);
    },
    zstd: (kind, input, ctx) => {
      const inProcess = zstdDecompressInProcess(input, ctx);
      if (inProcess !== null) return inProcess;
      const zstd = findProgram('zstd');
      if (zstd === undefined) {
        throw new CrossrootError('HOST_MISSING_ZSTD', 'zstd is needed for .zst members: apt-get install zstd', ctx);
      }
      return spawnFilter(zstd, kind, input, ctx);
    },
  });
}
