// Tar reader — POSIX ustar/pax (POSIX.1-2001 pax(1)) and GNU tar extensions, on tar-stream.

import { extract, type Header as Headers } from 'tar-stream';

import { CrossrootError, type ErrorContext } from '../../errors.js';
import type { ByteSource } from '../byte-source.js';
import { mapErrors, pumpThrough } from '../compression.js';
import type { TarEntry, TarEntryType } from './entry.js';

const TYPES: Partial<Record<string, TarEntryType>> = {
  file: 'file',
  'contiguous-file': 'file',
  directory: 'dir',
  symlink: 'symlink',
  link: 'hardlink',
  'character-device': 'char',
  'block-device': 'block',
  fifo: 'fifo',
};

export interface ReadTarOptions {
  /**
   * false: a pax extended header is an error, as dpkg's tar reader (lib/dpkg/tarfn.c) makes it
   * in a .deb (dpkg-deb writes GNU format); true (default): applied, for tarballs of roots.
   */
  pax?: boolean;
}

const NO_BODY: AsyncIterable<Buffer> = { [Symbol.asyncIterator]: () => ({ next: async () => ({ done: true, value: undefined }) }) };

/** A member and its data, which must be read (or is skipped) before the next member. */
export interface TarMember {
  entry: TarEntry;
  body: AsyncIterable<Buffer>;
}

function paxInteger(pax: Record<string, string>, key: string, fallback: number, ctx: ErrorContext): number {
  const v = pax[key];
  if (v === undefined) return fallback;
  // pax times may carry a fraction ("1690000000.25"); integers are whole decimal numbers.
  const m = /^(-?[0-9]+)(\.[0-9]*)?$/.exec(v);
  if (m === null || (m[2] !== undefined && key !== 'mtime')) {
    throw new CrossrootError('FORMAT_TAR_PAX', `bad pax ${key} value ${JSON.stringify(v)}`, ctx);
  }
  return Number(m[1]);
}

/** Builds a TarEntry from tar-stream's header, applying the pax keys tar-stream leaves alone. */
export function toEntry(h: Headers, ctx: ErrorContext, opts: ReadTarOptions = {}): TarEntry {
  // tar-stream gives null for a typeflag it does not know (GNU sparse 'S', volume label 'V',
  // 'Z'...): deb(5) and dpkg make that an error ("unknown tar header type"), never a file.
  const type = h.type === null || h.type === undefined ? undefined : TYPES[h.type];
  if (type === undefined) {
    throw new CrossrootError('FORMAT_TAR_TYPE', h.type === null || h.type === undefined ? 'unknown tar member type (typeflag)' : `unsupported tar member type ${h.type}`, { ...ctx, path: h.name });
  }
  if (opts.pax === false && h.pax !== undefined && h.pax !== null) {
    // tar-stream has already applied it (a `path` record renames the member).
    throw new CrossrootError('FORMAT_TAR_PAX', 'pax extended header in a package archive (dpkg refuses them: "unsupported PAX tar header type")', { ...ctx, path: h.name });
  }
  const at = { ...ctx, path: h.name };
  // tar-stream gives null (or an unsafe float) for a base-256 size it cannot hold, and then
  // never ends that member's body: a read would wait forever (found by fuzz.test.ts).
  if (typeof h.size !== 'number' || !Number.isSafeInteger(h.size) || h.size < 0) {
    throw new CrossrootError('FORMAT_TAR', 'bad size field in tar header', at);
  }
  const pax = (h.pax ?? {}) as Record<string, string>;
  const entry: TarEntry = {
    path: h.name,
    type,
    mode: (h.mode ?? 0) & 0o7777,
    uid: paxInteger(pax, 'uid', h.uid ?? 0, at),
    gid: paxInteger(pax, 'gid', h.gid ?? 0, at),
    uname: pax.uname ?? h.uname ?? '',
    gname: pax.gname ?? h.gname ?? '',
    size: type === 'file' ? (h.size ?? 0) : 0,
    mtime: paxInteger(pax, 'mtime', Math.floor((h.mtime?.getTime() ?? 0) / 1000), at),
  };
  if (type === 'symlink' || type === 'hardlink') entry.linkname = h.linkname ?? '';
  if (type === 'char' || type === 'block') {
    entry.devmajor = h.devmajor ?? 0;
    entry.devminor = h.devminor ?? 0;
  }
  const xattrs = Object.entries(pax).filter(([k]) => k.startsWith('SCHILY.xattr.'));
  if (xattrs.length > 0) entry.xattrs = Object.fromEntries(xattrs.map(([k, v]) => [k.slice(13), v]));
  return entry;
}

/**
 * Reads a tar stream member by member. Bodies stream; a consumer that does not read one
 * has it skipped. Truncation and bad headers are FORMAT_TAR errors naming `ctx`.
 *
 * @example
 * for await (const { entry, body } of readTar(stream, { file: 'x.deb', member: 'data.tar.xz' })) {
 *   console.log(entry.path, entry.type);
 * }
 */
export async function* readTar(source: ByteSource, ctx: ErrorContext = {}, opts: ReadTarOptions = {}): AsyncGenerator<TarMember> {
  const ex = extract();
  let last: string | undefined;
  const translate = (err: unknown) => {
    if (err instanceof CrossrootError) return err;
    const msg = (err as Error).message ?? String(err);
    const where = last === undefined ? ctx : { ...ctx, path: last };
    if (/unexpected end/i.test(msg)) return new CrossrootError('FORMAT_TAR_TRUNCATED', 'truncated tar archive', where);
    return new CrossrootError('FORMAT_TAR', msg.replace(/ Maybe the tar is corrupted.*$/, ''), where);
  };
  const entries = mapErrors(pumpThrough(source, ex, ex as AsyncIterable<NodeJS.ReadableStream & { header: Headers }>), translate);
  for await (const stream of entries) {
    last = stream.header.name;
    const entry = toEntry(stream.header, ctx, opts);
    // tar-stream never ends the body of a directory whose header states a size (nor skips
    // that data, as Python's tarfile does not): reading it would wait forever (found by
    // test/formats/fuzz.test.ts). A directory has no body.
    if (stream.header.type === 'directory') {
      yield { entry, body: NO_BODY };
      continue;
    }
    // One iterator per member; a consumer that stops early does not close it (that would
    // destroy the member stream), and the rest is drained here before the next header.
    let it: AsyncIterator<Buffer> | undefined;
    const next = async (): Promise<IteratorResult<Buffer>> => {
      it ??= (stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
      try {
        return await it.next();
      } catch (err) {
        throw translate(err);
      }
    };
    const body: AsyncIterable<Buffer> = {
      [Symbol.asyncIterator]: () => ({ next, return: async () => ({ done: true, value: undefined }) }),
    };
    yield { entry, body };
    while (!(await next()).done);
  }
}
