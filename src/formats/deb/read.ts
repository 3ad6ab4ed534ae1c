// Binary package reader — deb(5): ar members debian-binary, control.tar.*, data.tar.*, as dpkg-deb reads them.

import { CrossrootError } from '../../errors.js';
import { readAr } from '../ar.js';
import { capped, collect, type ByteSource } from '../byte-source.js';
import { compressionOf, type Compression, type Decompressor } from '../compression.js';
import { dpkgPackageNameProblem } from '../control/package-name.js';
import { parseSingleParagraph } from '../deb822/parse.js';
import type { Paragraph } from '../deb822/paragraph.js';
import { readTar, type TarMember } from '../tar/read.js';
import { dataTarLimit } from './data-limit.js';

/**
 * Cap on the decompressed control.tar, every byte of it (padding too: decoding stops here, not at
 * the stream's end): metadata only (STYLE rule 4); md5sums of big packages fit.
 */
export const MAX_CONTROL_TAR = 64 * 1024 * 1024;

/** A control archive member other than a directory (`control`, `md5sums`, `postinst`, ...). */
export interface ControlMember {
  name: string;
  mode: number;
  /** Seconds since the epoch: dpkg keeps it on the files it installs into info/. */
  mtime: number;
  data: Buffer;
}

/** What control.tar holds, read before any byte of data.tar. */
export interface DebControl {
  /** The parsed `control` file. */
  control: Paragraph;
  /** Control members by name (without `./`), in archive order. */
  members: Map<string, ControlMember>;
  compression: { control: Compression; data: Compression };
  /** The names of the ar members as stored (for messages): `control.tar.xz`, `data.tar.xz`. */
  memberNames: { control: string; data: string };
}

export interface ReadDebOptions {
  /** The file name for messages. */
  file: string;
  decompressor: Decompressor;
  /** Called once control.tar is read, before data.tar is. */
  onControl?: (control: DebControl) => void | Promise<void>;
  /** Called for each data.tar member; a body left unread is skipped. */
  onData?: (member: TarMember, control: DebControl) => void | Promise<void>;
  /** Sees the decompressed data.tar, chunk by chunk, before the members are parsed from it. */
  tapData?: (chunk: Buffer) => void | Promise<void>;
}

async function* tapped(source: AsyncIterable<Buffer>, tap: (chunk: Buffer) => void | Promise<void>): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    await tap(chunk);
    yield chunk;
  }
}

/** Data compressions dpkg-deb can read; bzip2/lzma are legal but unsupported here (named in the error). */
const DATA_COMPRESSIONS = new Set<Compression>(['gzip', 'xz', 'zstd', 'none']);

/**
 * Reads a .deb from a byte stream: checks the member order and format version, reads the
 * control archive into memory, and streams data.tar member by member to `onData`.
 *
 * @example
 * const c = await readDeb(fs.createReadStream(f), { file: f, decompressor: hostDecompressor() });
 * c.control.get('Package');
 */
export async function readDeb(source: ByteSource, opts: ReadDebOptions): Promise<DebControl> {
  const { file, decompressor } = opts;
  let state: 'start' | 'version' | 'control' | 'data' | 'done' = 'start';
  let control: DebControl | undefined;
  let controlCompression: Compression | undefined;
  let controlName = '';
  for await (const { header, body } of readAr(source, { file })) {
    const member = header.name;
    const err = (code: `FORMAT_${string}`, detail: string) => new CrossrootError(code, detail, { file, member });
    if (state === 'start') {
      if (member !== 'debian-binary') throw err('FORMAT_DEB_MEMBER_ORDER', 'first member is not debian-binary: not a Debian binary package');
      const version = (await collect(body, 1024, () => err('FORMAT_DEB_VERSION', 'debian-binary is too large'))).toString('latin1');
      if (!/^2\.[0-9]+\n/.test(version)) {
        throw err('FORMAT_DEB_VERSION', `unsupported format version ${JSON.stringify(version.trim())}`);
      }
      state = 'version';
      continue;
    }
    if (member.startsWith('_')) continue; // dpkg-deb skips members reserved for extensions
    if (state === 'version') {
      controlCompression = compressionOf(member, 'control.tar');
      if (controlCompression === undefined) {
        throw err('FORMAT_DEB_MEMBER_ORDER', member.startsWith('data.tar') ? 'data member before control.tar' : 'unexpected member where control.tar was expected');
      }
      controlName = member;
      const tooBig = () => err('FORMAT_DEB_CONTROL_SIZE', `control archive larger than ${MAX_CONTROL_TAR} bytes`);
      const members = await readControlTar(capped(decompressor(controlCompression, body, { file, member }), MAX_CONTROL_TAR, tooBig), file, member);
      const c = members.get('control');
      if (c === undefined) throw err('FORMAT_DEB_NO_CONTROL', 'control archive has no control file');
      const paragraph = parseSingleParagraph(c.data.toString('utf8'), { file: `${file}: ${member}: control` });
      // deb-control(5): Package is mandatory, and dpkg refuses a name it cannot install
      // (dpkg: "missing 'Package' field", "invalid package name").
      const name = paragraph.get('Package');
      if (name === undefined) throw err('FORMAT_DEB_CONTROL_FIELD', "control file has no 'Package' field");
      const problem = dpkgPackageNameProblem(name);
      if (problem !== undefined) throw err('FORMAT_DEB_CONTROL_FIELD', `invalid package name ${JSON.stringify(name)} in control file: ${problem}`);
      control = { control: paragraph, members, compression: { control: controlCompression, data: 'none' }, memberNames: { control: member, data: '' } };
      state = 'control';
      continue;
    }
    if (state === 'control') {
      const kind = compressionOf(member, 'data.tar');
      if (kind === undefined) {
        if (/^data\.tar\.(bz2|lzma)$/.test(member)) throw err('FORMAT_DEB_COMPRESSION', 'unsupported data compression');
        throw err('FORMAT_DEB_MEMBER_ORDER', 'unexpected member where data.tar was expected');
      }
      if (!DATA_COMPRESSIONS.has(kind)) throw err('FORMAT_DEB_COMPRESSION', 'unsupported data compression');
      control!.compression.data = kind;
      control!.memberNames.data = member;
      await opts.onControl?.(control!);
      // A decompression bomb stops here, before its bytes reach a disk (data-limit.ts).
      const limit = dataTarLimit(control!.control);
      const data = capped(decompressor(kind, body, { file, member }), limit.bytes, () =>
        err('FORMAT_DEB_DATA_SIZE', `data archive expands past ${limit.bytes} bytes, the limit for this package: ${limit.why}`),
      );
      for await (const m of readTar(opts.tapData === undefined ? data : tapped(data, opts.tapData), { file, member }, { pax: false })) {
        await opts.onData?.(m, control!);
      }
      state = 'done';
      continue;
    }
    // Members after data.tar are read (to the end: the whole file is checked) and ignored.
  }
  if (state !== 'done') {
    const missing = state === 'start' ? 'debian-binary' : state === 'version' ? 'control.tar' : 'data.tar';
    throw new CrossrootError('FORMAT_DEB_TRUNCATED', `truncated package: no ${missing} member`, { file, member: state === 'control' ? controlName : undefined });
  }
  return control!;
}

async function readControlTar(stream: AsyncIterable<Buffer>, file: string, member: string): Promise<Map<string, ControlMember>> {
  const members = new Map<string, ControlMember>();
  let total = 0;
  const tooBig = () => new CrossrootError('FORMAT_DEB_CONTROL_SIZE', `control archive larger than ${MAX_CONTROL_TAR} bytes`, { file, member });
  for await (const { entry, body } of readTar(stream, { file, member }, { pax: false })) {
    if (entry.type === 'dir') continue;
    const name = entry.path.replace(/^\.\//, '');
    if (entry.type !== 'file' || name.includes('/') || name === '' || name === '.' || name === '..') {
      throw new CrossrootError('FORMAT_DEB_CONTROL_MEMBER', `control archive member is not a plain file in its top directory`, { file, member, path: entry.path });
    }
    total += entry.size;
    if (total > MAX_CONTROL_TAR) throw tooBig();
    members.set(name, { name, mode: entry.mode, mtime: entry.mtime, data: await collect(body, MAX_CONTROL_TAR, tooBig) });
  }
  return members;
}
