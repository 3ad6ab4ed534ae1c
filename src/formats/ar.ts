// ar archive reader — the common ar format of deb(5) and dpkg's lib/dpkg/ar.c, streaming.

import { CrossrootError } from '../errors.js';
import { ByteReader, type ByteSource } from './byte-source.js';

const MAGIC = '!<arch>\n';
const HEADER_SIZE = 60;

/** One ar member header (fields as dpkg reads them: decimal, mode octal). */
export interface ArHeader {
  name: string;
  mtime: number;
  uid: number;
  gid: number;
  mode: number;
  size: number;
  /** Offset of the member's data in the archive. */
  offset: number;
}

/** A member: its header and its data, which must be read (or is skipped) before the next. */
export interface ArMember {
  header: ArHeader;
  body: AsyncIterable<Buffer>;
}

function field(raw: Buffer, start: number, len: number): string {
  return raw.toString('latin1', start, start + len).replace(/ +$/, '');
}

function decimal(text: string, what: string, file: string | undefined, member: string | undefined, radix = 10): number {
  const re = radix === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
  if (!re.test(text)) {
    throw new CrossrootError('FORMAT_AR_HEADER', `bad ${what} field ${JSON.stringify(text)} in ar header`, { file, member });
  }
  return parseInt(text, radix);
}

/**
 * Reads an ar archive as a stream of members. Checks the magic, each header's terminator,
 * numeric fields, the odd-size padding byte, and truncation anywhere.
 *
 * @example
 * for await (const { header, body } of readAr(fs.createReadStream('x.deb'), { file: 'x.deb' })) {
 *   console.log(header.name, header.size);
 *   for await (const _ of body); // or consume it
 * }
 */
export async function* readAr(source: ByteSource, opts: { file?: string } = {}): AsyncGenerator<ArMember> {
  const file = opts.file;
  const r = new ByteReader(source);
  try {
    const magic = await r.read(MAGIC.length);
    if (magic.length < MAGIC.length && magic.toString('latin1') === MAGIC.slice(0, magic.length)) {
      throw new CrossrootError('FORMAT_AR_TRUNCATED', 'truncated ar archive (no complete magic)', { file });
    }
    if (magic.toString('latin1') !== MAGIC) {
      throw new CrossrootError('FORMAT_AR_MAGIC', 'not an ar archive (bad magic)', { file });
    }
    for (;;) {
      if (await r.atEnd()) return;
      const offset = r.offset;
      const raw = await r.read(HEADER_SIZE);
      if (raw.length < HEADER_SIZE) {
        throw new CrossrootError('FORMAT_AR_TRUNCATED', `truncated ar member header at offset ${offset}`, { file });
      }
      // GNU ar terminates names with '/'; dpkg accepts both forms.
      const name = field(raw, 0, 16).replace(/\/$/, '');
      if (raw.toString('latin1', 58, 60) !== '`\n') {
        throw new CrossrootError('FORMAT_AR_HEADER', `corrupt ar member header at offset ${offset} (bad terminator)`, { file, member: name || undefined });
      }
      const header: ArHeader = {
        name,
        mtime: decimal(field(raw, 16, 12), 'mtime', file, name),
        uid: decimal(field(raw, 28, 6) || '0', 'uid', file, name),
        gid: decimal(field(raw, 34, 6) || '0', 'gid', file, name),
        mode: decimal(field(raw, 40, 8), 'mode', file, name, 8),
        size: decimal(field(raw, 48, 10), 'size', file, name),
        offset: offset + HEADER_SIZE,
      };
      // The body shares `left` with the loop, so a consumer that stops early is caught up below.
      let left = header.size;
      const body: AsyncIterable<Buffer> = {
        async *[Symbol.asyncIterator]() {
          while (left > 0) {
            const c = await r.chunk(left);
            if (c === undefined) {
              throw new CrossrootError('FORMAT_AR_TRUNCATED', `truncated (${left} of ${header.size} bytes missing)`, { file, member: name });
            }
            left -= c.length;
            yield c;
          }
        },
      };
      yield { header, body };
      for await (const _ of body);
      if (header.size % 2 === 1) {
        const pad = await r.read(1);
        if (pad.length === 0) return; // dpkg tolerates a missing final pad byte
        if (pad[0] !== 0x0a) {
          throw new CrossrootError('FORMAT_AR_HEADER', 'bad padding byte after odd-sized member', { file, member: name });
        }
      }
    }
  } finally {
    await r.close();
  }
}
