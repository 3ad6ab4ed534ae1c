// Pull-based reader over an async byte stream — the shared engine of the streaming parsers.

/** Any chunked byte source: a Node Readable, a web stream, an async generator. */
export type ByteSource = AsyncIterable<Uint8Array>;

/**
 * Reads exact byte counts from a chunked source of any chunk size (one byte at a time
 * works). Returns short reads at end of input; callers decide what truncation means.
 */
export class ByteReader {
  readonly #it: AsyncIterator<Uint8Array>;
  #buf: Buffer = Buffer.alloc(0);
  #done = false;
  /** Bytes consumed so far (offset of the next byte). */
  offset = 0;

  constructor(source: ByteSource) {
    this.#it = source[Symbol.asyncIterator]();
  }

  async #fill(): Promise<boolean> {
    if (this.#done) return false;
    const r = await this.#it.next();
    if (r.done) {
      this.#done = true;
      return false;
    }
    const chunk = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    return true;
  }

  /** Reads up to n bytes; fewer only at end of input. */
  async read(n: number): Promise<Buffer> {
    while (this.#buf.length < n && (await this.#fill()));
    const out = this.#buf.subarray(0, n);
    this.#buf = this.#buf.subarray(out.length);
    this.offset += out.length;
    return out;
  }

  /** True when no byte is left. */
  async atEnd(): Promise<boolean> {
    return this.#buf.length === 0 && !(await this.#fill());
  }

  /** Returns up to `max` bytes that are available now (reading more if none is), or undefined at end. */
  async chunk(max: number): Promise<Buffer | undefined> {
    if (this.#buf.length === 0 && !(await this.#fill())) return undefined;
    const out = this.#buf.subarray(0, Math.min(max, this.#buf.length));
    this.#buf = this.#buf.subarray(out.length);
    this.offset += out.length;
    return out;
  }

  /** Stops reading the source early (lets a file stream close). */
  async close(): Promise<void> {
    if (!this.#done) {
      this.#done = true;
      await this.#it.return?.();
    }
  }
}

/** Collects a source into one buffer, failing past `cap` bytes (metadata only: STYLE rule 4). */
export async function collect(source: ByteSource, cap: number, tooBig: () => Error): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const c of source) {
    size += c.byteLength;
    if (size > cap) throw tooBig();
    parts.push(Buffer.isBuffer(c) ? c : Buffer.from(c));
  }
  return Buffer.concat(parts, size);
}

/**
 * Passes a source through, failing with `tooBig()` as soon as more than `cap` bytes have
 * come: a decompressed stream stops being decoded there, not at its end.
 */
export async function* capped(source: ByteSource, cap: number, tooBig: () => Error): AsyncGenerator<Buffer> {
  let size = 0;
  for await (const c of source) {
    size += c.byteLength;
    if (size > cap) throw tooBig();
    yield Buffer.isBuffer(c) ? c : Buffer.from(c.buffer, c.byteOffset, c.byteLength);
  }
}
