// Member content — SHA-256 digests (FIPS 180-4), first differing byte, bounded captures, streamed.

import { createHash, type Hash } from 'node:crypto';

/** Text files up to this size (each side) get a unified diff. */
export const TEXT_DIFF_MAX_BYTES = 256 * 1024;
/** A NUL byte in this many leading bytes makes a file binary (git's `buffer_is_binary`). */
export const BINARY_SNIFF_BYTES = 8000;
/** Block size of the per-block hashes kept for members that wait for their counterpart. */
export const BLOCK_SIZE = 64 * 1024;
/** Bytes of block hash kept per block: a short SHA-1, a locator, not a proof (SHA-256 is that). */
const BLOCK_HASH_BYTES = 8;

/** What reading one body gives. */
export interface BodyDigest {
  sha256: string;
  size: number;
  binary: boolean;
  /** `BLOCK_HASH_BYTES` per `BLOCK_SIZE` block, when asked for. */
  blocks?: Buffer;
  /** The bytes of the capture window, when asked for. */
  captured?: Buffer;
}

/** A byte range [start, end) to keep while digesting. */
export interface CaptureWindow {
  start: number;
  end: number;
}

/**
 * Incremental digest of one body: hash, size, binary sniff, block hashes, a captured window.
 *
 * @example
 * const d = new Digester({ blocks: true });
 * for await (const chunk of body) d.update(chunk);
 * const { sha256, blocks } = d.finish();
 */
export class Digester {
  readonly #sha = createHash('sha256');
  #size = 0;
  #binary = false;
  readonly #blocks: Buffer[] | undefined;
  #block: Hash | undefined;
  #blockFill = 0;
  readonly #window: CaptureWindow | undefined;
  readonly #captured: Buffer[] = [];

  constructor(options: { blocks?: boolean; capture?: CaptureWindow } = {}) {
    this.#blocks = options.blocks ? [] : undefined;
    this.#window = options.capture;
  }

  update(chunk: Buffer): void {
    const start = this.#size;
    this.#sha.update(chunk);
    if (!this.#binary && start < BINARY_SNIFF_BYTES && chunk.subarray(0, BINARY_SNIFF_BYTES - start).includes(0)) this.#binary = true;
    if (this.#blocks !== undefined) {
      let at = 0;
      while (at < chunk.length) {
        this.#block ??= createHash('sha1');
        const n = Math.min(BLOCK_SIZE - this.#blockFill, chunk.length - at);
        this.#block.update(chunk.subarray(at, at + n));
        this.#blockFill += n;
        at += n;
        if (this.#blockFill === BLOCK_SIZE) this.#endBlock();
      }
    }
    const w = this.#window;
    if (w !== undefined && start < w.end && start + chunk.length > w.start) {
      // copy: a chunk may be a view of a larger pooled buffer
      this.#captured.push(Buffer.from(chunk.subarray(Math.max(0, w.start - start), Math.min(chunk.length, w.end - start))));
    }
    this.#size += chunk.length;
  }

  #endBlock(): void {
    this.#blocks!.push(this.#block!.digest().subarray(0, BLOCK_HASH_BYTES));
    this.#block = undefined;
    this.#blockFill = 0;
  }

  finish(): BodyDigest {
    const d: BodyDigest = { sha256: this.#sha.digest('hex'), size: this.#size, binary: this.#binary };
    if (this.#blocks !== undefined) {
      if (this.#blockFill > 0) this.#endBlock();
      d.blocks = Buffer.concat(this.#blocks);
    }
    if (this.#window !== undefined) d.captured = Buffer.concat(this.#captured);
    return d;
  }
}

/**
 * Reads a body to its end through a Digester.
 *
 * @example
 * const d = await digestBody(member.body, { blocks: true }); // d.sha256, d.blocks
 */
export async function digestBody(body: AsyncIterable<Buffer>, options: { blocks?: boolean; capture?: CaptureWindow } = {}): Promise<BodyDigest> {
  const d = new Digester(options);
  for await (const chunk of body) d.update(chunk);
  return d.finish();
}

/**
 * Reads a body to its end keeping only the bytes of `window` (no hashing: the second pass
 * already knows the digests).
 *
 * @example
 * const block = await captureWindow(member.body, { start: 3 * BLOCK_SIZE, end: 4 * BLOCK_SIZE });
 */
export async function captureWindow(body: AsyncIterable<Buffer>, window: CaptureWindow): Promise<Buffer> {
  const parts: Buffer[] = [];
  let at = 0;
  for await (const chunk of body) {
    if (at < window.end && at + chunk.length > window.start) {
      parts.push(Buffer.from(chunk.subarray(Math.max(0, window.start - at), Math.min(chunk.length, window.end - at))));
    }
    at += chunk.length;
  }
  return Buffer.concat(parts);
}

/**
 * The first index where two buffers differ, or undefined when one is a prefix of the other.
 *
 * @example
 * firstDifferingIndex(Buffer.from('abcd'), Buffer.from('abXd')) // 2
 */
export function firstDifferingIndex(a: Buffer, b: Buffer): number | undefined {
  const n = Math.min(a.length, b.length);
  if (a.subarray(0, n).equals(b.subarray(0, n))) return undefined;
  // narrow down by halves with memcmp-speed equals(), then finish byte by byte
  let lo = 0;
  let hi = n;
  while (hi - lo > 64) {
    const mid = (lo + hi) >>> 1;
    if (a.subarray(lo, mid).equals(b.subarray(lo, mid))) lo = mid;
    else hi = mid;
  }
  for (let i = lo; i < hi; i++) if (a[i] !== b[i]) return i;
  return undefined; // not reached: the ranges differ
}

/** Result of reading two bodies side by side. */
export interface BodyComparison {
  a: BodyDigest;
  b: BodyDigest;
  /** First differing byte, or null when the contents are equal. */
  offset: number | null;
}

/**
 * Reads two bodies side by side (never more than a chunk of each ahead), hashing both and
 * finding the first differing byte on the way. `capture` keeps both sides' leading bytes up
 * to that many (for a text diff): the caller decides from the header sizes whether to.
 *
 * @example
 * const r = await compareBodies(a.body, b.body, TEXT_DIFF_MAX_BYTES);
 * if (r.offset !== null) console.log(`differ at ${r.offset}`);
 */
export async function compareBodies(a: AsyncIterable<Buffer>, b: AsyncIterable<Buffer>, capture = 0): Promise<BodyComparison> {
  const window = capture > 0 ? { start: 0, end: capture } : undefined;
  const da = new Digester({ capture: window });
  const db = new Digester({ capture: window });
  const ia = a[Symbol.asyncIterator]();
  const ib = b[Symbol.asyncIterator]();
  let ba: Buffer = Buffer.alloc(0);
  let bb: Buffer = Buffer.alloc(0);
  let doneA = false;
  let doneB = false;
  let pos = 0;
  let offset: number | null = null;
  for (;;) {
    if (ba.length === 0 && !doneA) {
      const r = await ia.next();
      if (r.done) doneA = true;
      else {
        ba = r.value;
        da.update(ba);
      }
    }
    if (bb.length === 0 && !doneB) {
      const r = await ib.next();
      if (r.done) doneB = true;
      else {
        bb = r.value;
        db.update(bb);
      }
    }
    if (ba.length === 0 && bb.length === 0) {
      if (doneA && doneB) break;
      continue;
    }
    if (ba.length === 0 || bb.length === 0) {
      // one side ended: the other is longer from here on
      if ((ba.length === 0 && doneA) || (bb.length === 0 && doneB)) {
        offset ??= pos;
        pos += ba.length + bb.length;
        ba = Buffer.alloc(0);
        bb = Buffer.alloc(0);
      }
      continue;
    }
    const n = Math.min(ba.length, bb.length);
    if (offset === null) {
      const i = firstDifferingIndex(ba.subarray(0, n), bb.subarray(0, n));
      if (i !== undefined) offset = pos + i;
    }
    pos += n;
    ba = ba.subarray(n);
    bb = bb.subarray(n);
  }
  return { a: da.finish(), b: db.finish(), offset };
}

/**
 * Where two digests with block hashes first differ: an exact offset when the common blocks
 * all match (one file is a prefix of the other, or only the last partial block's length
 * differs), else the first differing block, whose bytes must be read again to pin the byte.
 *
 * @example
 * locateDifference(da, db) // { offset: 4096 } or { block: 3 }
 */
export function locateDifference(a: BodyDigest, b: BodyDigest): { offset: number } | { block: number } {
  const ba = a.blocks ?? Buffer.alloc(0);
  const bb = b.blocks ?? Buffer.alloc(0);
  const n = Math.min(ba.length, bb.length) / BLOCK_HASH_BYTES;
  for (let i = 0; i < n; i++) {
    const s = i * BLOCK_HASH_BYTES;
    if (!ba.subarray(s, s + BLOCK_HASH_BYTES).equals(bb.subarray(s, s + BLOCK_HASH_BYTES))) {
      // a last, partial block may differ only in length: still needs its bytes
      return { block: i };
    }
  }
  return { offset: Math.min(a.size, b.size) };
}
