// Prepared packages — a verified .deb decompressed once and kept beside the download cache,
// so that building a root again unpacks without xz.
//
// xz dominates unpacking: a bookworm buildd set is 108 MB of .debs holding 441 MB of
// data.tar, 8 s of xz CPU on this kind of machine, paid by every build; and the installer
// must know each package's members before it unpacks it (file triggers are planned ahead).
// A prepared package keeps what that work yields, named after the .deb's SHA256:
//
//   <sha256>.data.tar.zst  the data.tar, byte for byte, recompressed with zstd (level 1:
//                          read back at a gigabyte a second in process)
//   <sha256>.json          the original member names and compressions, the control members,
//                          the data.tar member list, and the MD5 of each file (dpkg hashes
//                          every file it unpacks)
//
// The data file is written first and the index last, each under a temporary name renamed
// when complete: an index exists only beside complete data. They are as trustworthy as the
// .deb they came from, which entered the cache only after its size and digest matched the
// signed index — as long as they have not changed since. So the index records the data
// file's size and SHA256 and ends with the SHA256 of itself, and an entry is checked each
// time a build finds it (both digests, every byte): one that fails is made again from the
// .deb, which the download cache has just checked the same way. (A hand that can write the
// cache can also rewrite the digests; what this stops is an entry that changed unnoticed —
// a bad disk, a truncation, a stray write — being unpacked.) Indexes from before the
// digests have none and are made again once. The format has a version in the directory
// name (`prepared-v1`).

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { CrossrootError, addContext } from '../errors.js';
import type { Compression, Decompressor } from '../formats/compression.js';
import { parseSingleParagraph } from '../formats/deb822/parse.js';
import { readDeb, type ControlMember, type DebControl } from '../formats/deb/read.js';
import type { TarEntry } from '../formats/tar/entry.js';
import { readTar, type TarMember } from '../formats/tar/read.js';
import { fileDigest } from '../host/file-digest.js';
import { removeOnInterrupt } from '../host/interrupt.js';
import { ownerTag } from '../host/stale.js';
import { findProgram } from '../host/programs.js';
import { zstdCompressStream } from '../host/zstd.js';

/** The directory under the cache that holds prepared packages of this format. */
export const PREPARED_DIR = 'prepared-v1';

/** Where a prepared package is: its index and its data. */
export interface PreparedPackage {
  index: string;
  data: string;
}

/** A data.tar member of a prepared package: the MD5 comes from the index, not from hashing. */
export interface PreparedMember extends TarMember {
  md5: string | undefined;
}

interface IndexFile {
  format: 1;
  controlMember: string;
  dataMember: string;
  compression: { control: Compression; data: Compression };
  control: { name: string; mode: number; mtime: number; data: string }[];
  entries: TarEntry[];
  md5: Record<string, string>;
  /** The data file's size and SHA256. */
  dataFile: { size: number; sha256: string };
  /** Last: the SHA256 of the index text with this field left out (see sealIndex). */
  indexSha256?: string;
}

/** What planning needs of a package, without its data: control, members, digests. */
export interface PreparedIndex {
  control: DebControl;
  entries: TarEntry[];
  md5: Map<string, string>;
}

let temporaries = 0;

const sha256Hex = (text: string) => createHash('sha256').update(text).digest('hex');
const SEAL = /,"indexSha256":"([0-9a-f]{64})"\}$/;

/** The index text, ending with the SHA256 of everything before it (the text without the field). */
function sealIndex(index: IndexFile): string {
  const body = JSON.stringify(index);
  return `${body.slice(0, -1)},"indexSha256":"${sha256Hex(body)}"}`;
}

/** The index in `text` if its seal is there and right, else what is wrong with it. */
function unsealIndex(text: string): IndexFile | string {
  const m = SEAL.exec(text);
  if (m === null) return 'its index has no digest (made by an older crossroot, or cut short)';
  const body = `${text.slice(0, m.index)}}`;
  if (sha256Hex(body) !== m[1]) return 'its index does not match its digest';
  try {
    const raw = JSON.parse(body) as IndexFile;
    if (raw.format !== 1) return `its index has format ${String(raw.format)}, not 1`;
    if (typeof raw.dataFile?.sha256 !== 'string' || !raw.control.some((m) => m.name === 'control')) return 'its index lacks the data digest or the control file';
    return raw;
  } catch (err) {
    return `its index is not JSON (${(err as Error).message})`;
  }
}

/** What is wrong with the prepared package at `p` (index seal, data size and SHA256), or undefined. */
async function damage(p: PreparedPackage): Promise<string | undefined> {
  const text = await readFile(p.index, 'utf8').catch((err: NodeJS.ErrnoException) => err);
  if (typeof text !== 'string') return `its index cannot be read (${text.code ?? text.message})`;
  const index = unsealIndex(text);
  if (typeof index === 'string') return index;
  const data = await fileDigest(p.data).catch((err: NodeJS.ErrnoException) => err);
  if (data instanceof Error) return `its data cannot be read (${data.code ?? data.message})`;
  if (data.size !== index.dataFile.size) return `its data is ${data.size} bytes, not ${index.dataFile.size}`;
  if (data.sha256 !== index.dataFile.sha256) return `its data has SHA256 ${data.sha256}, not ${index.dataFile.sha256}`;
  return undefined;
}

/** A file compressor writing `path`: zstd in process, or a spawned `zstd` without the addon. */
function zstdToFile(path: string): { input: Writable; done: Promise<void>; abort(): void } {
  const z = zstdCompressStream(1);
  if (z !== null) {
    const out = createWriteStream(path, { flags: 'wx', mode: 0o644 });
    z.pipe(out);
    return {
      input: z,
      done: finished(out).then(() => undefined),
      abort: () => {
        z.destroy();
        out.destroy(new Error('aborted'));
      },
    };
  }
  const program = findProgram('zstd');
  if (program === undefined) throw new CrossrootError('HOST_MISSING_ZSTD', 'zstd is needed to prepare packages: apt-get install zstd');
  const child = spawn(program, ['-q', '-1', '--check', '-o', path], { stdio: ['pipe', 'ignore', 'pipe'] });
  const stderr: Buffer[] = [];
  child.stderr.on('data', (c: Buffer) => stderr.push(c));
  const done = once(child, 'close').then(([code]) => {
    if (code !== 0) throw new CrossrootError('HOST_ZSTD', `zstd failed: ${Buffer.concat(stderr).toString().trim()}`, { file: path });
  });
  return { input: child.stdin, done, abort: () => child.kill() };
}

/**
 * Prepared packages under one directory (the download cache's `prepared-v1/`).
 *
 * @example
 * const store = new PreparedStore(join(cache.dir, PREPARED_DIR));
 * const p = await store.prepare(debPath, sha256, { decompressor, file: 'dpkg_1.21.23_amd64.deb' });
 * const { control, entries } = await readPreparedIndex(p, 'dpkg_1.21.23_amd64.deb');
 */
export class PreparedStore {
  constructor(readonly dir: string) {}

  /** The paths of the prepared form of the .deb with this SHA256. */
  pathsFor(sha256: string): PreparedPackage {
    const base = join(this.dir, sha256.slice(0, 2), sha256);
    return { index: `${base}.json`, data: `${base}.data.tar.zst` };
  }

  /**
   * The prepared form of `deb` (whose SHA256 is `sha256`), made now when it is not there.
   * An entry found is checked first (every byte of it): a damaged one is made again, and
   * `log` says so. A damaged .deb is the same error as when unpacking it (naming `file` and
   * the member).
   */
  async prepare(deb: string, sha256: string, opts: { decompressor: Decompressor; file: string; log?: (line: string) => void }): Promise<PreparedPackage> {
    const paths = this.pathsFor(sha256);
    if ((await stat(paths.index).catch(() => undefined)) !== undefined) {
      const problem = await damage(paths);
      if (problem === undefined) return paths;
      // Made again below and renamed over it: a run reading it meanwhile sees old or new, whole.
      opts.log?.(`${opts.file}: the prepared package ${paths.index} is damaged (${problem}): making it again`);
    }
    await mkdir(join(this.dir, sha256.slice(0, 2)), { recursive: true });
    const n = `${ownerTag()}-${++temporaries}`; // a killed run's are removed by the next (stale.ts)
    const tmpData = `${paths.data}.partial-${n}`;
    const tmpIndex = `${paths.index}.partial-${n}`;
    const forget = [removeOnInterrupt(tmpData), removeOnInterrupt(tmpIndex)];
    const sink = zstdToFile(tmpData);
    // A compressor that fails on its own would leave the writes below waiting: its error ends them.
    const sinkFailed = sink.done.then(
      () => new Promise<never>(() => {}),
      (err: unknown) => Promise.reject(err),
    );
    try {
      const entries: TarEntry[] = [];
      const md5: Record<string, string> = {};
      const control = await Promise.race([
        sinkFailed,
        readDeb(createReadStream(deb, { highWaterMark: 1 << 20 }), {
          file: opts.file,
          decompressor: opts.decompressor,
          tapData: async (chunk) => {
            if (!sink.input.write(chunk)) await Promise.race([once(sink.input, 'drain'), sinkFailed]);
          },
          onData: async ({ entry, body }) => {
            entries.push(entry);
            if (entry.type !== 'file') return;
            const h = createHash('md5');
            for await (const chunk of body) h.update(chunk);
            md5[entry.path] = h.digest('hex');
          },
        }),
      ]);
      sink.input.end();
      await sink.done;
      const data = await fileDigest(tmpData);
      const index: IndexFile = {
        format: 1,
        controlMember: control.memberNames.control,
        dataMember: control.memberNames.data,
        compression: control.compression,
        control: [...control.members.values()].map((m) => ({ name: m.name, mode: m.mode, mtime: m.mtime, data: m.data.toString('base64') })),
        entries,
        md5,
        dataFile: { size: data.size, sha256: data.sha256 },
      };
      await writeFile(tmpIndex, sealIndex(index), { flag: 'wx', mode: 0o644 });
      await rename(tmpData, paths.data);
      await rename(tmpIndex, paths.index);
      return paths;
    } catch (err) {
      sink.abort();
      await sink.done.catch(() => undefined);
      await rm(tmpData, { force: true });
      await rm(tmpIndex, { force: true });
      throw err;
    } finally {
      for (const f of forget) f();
    }
  }
}

/**
 * The control data, member list and stored digests of a prepared package, without its data.
 * `file` names the package in messages (the archive's file name).
 */
export async function readPreparedIndex(p: PreparedPackage, file: string): Promise<PreparedIndex> {
  let text: string;
  try {
    text = await readFile(p.index, 'utf8');
  } catch (err) {
    throw new CrossrootError('INSTALL_PREPARED', `cannot read the prepared package ${p.index}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { file });
  }
  // Checked again here (it is small): what planning and unpacking trust is what was sealed.
  const raw = unsealIndex(text);
  if (typeof raw === 'string') throw new CrossrootError('INSTALL_PREPARED', `the prepared package ${p.index} is damaged: ${raw}; it is made again by the next build`, { file });
  const members = new Map<string, ControlMember>(raw.control.map((m) => [m.name, { name: m.name, mode: m.mode, mtime: m.mtime, data: Buffer.from(m.data, 'base64') }]));
  const controlText = members.get('control')!.data.toString('utf8');
  const control: DebControl = {
    control: parseSingleParagraph(controlText, { file: `${file}: ${raw.controlMember}: control` }),
    members,
    compression: { ...raw.compression },
    memberNames: { control: raw.controlMember, data: raw.dataMember },
  };
  return { control, entries: raw.entries, md5: new Map(Object.entries(raw.md5)) };
}

/**
 * Reads a prepared package as readDeb reads a .deb: control first, then each data.tar member
 * (with its stored MD5, if any) to `onData`. Messages name `file` and the original member.
 */
export async function readPrepared(
  p: PreparedPackage,
  opts: { file: string; decompressor: Decompressor; onData?: (member: PreparedMember, control: DebControl) => void | Promise<void> },
): Promise<PreparedIndex> {
  const index = await readPreparedIndex(p, opts.file);
  const ctx = { file: opts.file, member: index.control.memberNames.data };
  try {
    const data = opts.decompressor('zstd', createReadStream(p.data, { highWaterMark: 1 << 20 }), ctx);
    for await (const m of readTar(data, ctx)) {
      await opts.onData?.({ ...m, md5: index.md5.get(m.entry.path) }, index.control);
    }
  } catch (err) {
    throw addContext(err, ctx);
  }
  return index;
}
