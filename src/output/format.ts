// Output formats — the one registry of what a root can be written as (mmdebstrap's --format,
// 4703-4715 and 5479-5566 of 1.3.5): kind, names, suffixes, writer, and the reader `compare` uses.

import { createReadStream } from 'node:fs';
import { lstat, open, stat } from 'node:fs/promises';
import { CrossrootError } from '../errors.js';
import type { Compression, Decompressor } from '../formats/compression.js';
import { compressionByName, compressorFor, isTarballName, TARBALL_SUFFIXES } from './compressor.js';
import { writeRootDirectory } from './directory.js';
import type { DevHeaderMagic } from './dev-entries.js';
import { approxDiskUsage } from './disk-usage.js';
import { programOutput } from './image-tar.js';
import { writeRootTarball, type ImageWriter, type TarStyle } from './tarball.js';

/** What a root is written as. `null` writes nothing (mmdebstrap's, for hooks that copy out). */
export type OutputKind = 'directory' | 'tar' | 'squashfs' | 'ext2' | 'null';

/** Everything a writer may need besides the root and the target. */
export interface WriteContext {
  sourceDateEpoch: number;
  /** What GNU tar and the image tools run from (the target suite's tools root; default the host's). */
  toolsRoot?: string;
  /** The suite's mmdebstrap's ./dev header format and tar options (resolve/mmdebstrap-layout.ts). */
  devHeaders?: DevHeaderMagic;
  tarStyle?: TarStyle;
  /** A directory gets mmdebstrap's /dev nodes (default true). */
  devices?: boolean;
}

/** How `compare` reads an output: walked as a directory, or as a tar byte stream. */
export type OutputReader =
  | { kind: 'directory' }
  | {
      kind: 'tar';
      label: string;
      bytes: (decompressor: Decompressor) => AsyncIterable<Buffer>;
      /** false: the format stores no owner names (the tar stream's are made up: sqfs2tar writes "0"). */
      ownerNames?: boolean;
    };

/** One output format. */
export interface OutputFormat {
  readonly kind: OutputKind;
  /** The `--format` names, mmdebstrap's first, then its aliases. */
  readonly names: readonly string[];
  /** The TARGET suffixes `--format auto` chooses it by (none: chosen otherwise). */
  readonly suffixes: readonly string[];
  /** Refuses, before anything is built, a TARGET this format cannot be written to (USAGE_ errors). */
  check?(target: string): void;
  /** Writes the finished root (a work directory it may move or remove) at `target`. */
  write(root: string, target: string, ctx: WriteContext): Promise<void>;
}

const TAR_LABEL: Record<Compression, string> = { none: 'tar', gzip: 'tar.gz', xz: 'tar.xz', zstd: 'tar.zst' };

const DIRECTORY: OutputFormat = {
  kind: 'directory',
  names: ['directory', 'dir'],
  suffixes: [],
  write: (root, target, ctx) => writeRootDirectory(root, target, { devices: ctx.devices ?? true }),
};

const TAR: OutputFormat = {
  kind: 'tar',
  names: ['tar'],
  suffixes: TARBALL_SUFFIXES,
  check: (target) => void (isTarballName(target) && compressorFor(target)),
  write: (root, target, ctx) =>
    writeRootTarball(root, target, {
      sourceDateEpoch: ctx.sourceDateEpoch,
      toolsRoot: ctx.toolsRoot,
      devHeaders: ctx.devHeaders,
      tarStyle: ctx.tarStyle,
      plain: !isTarballName(target),
    }),
};

/** The tar writer's options for an image format. */
function imageOptions(ctx: WriteContext, image: ImageWriter) {
  return { sourceDateEpoch: ctx.sourceDateEpoch, toolsRoot: ctx.toolsRoot, devHeaders: ctx.devHeaders, tarStyle: ctx.tarStyle, image };
}

/**
 * mmdebstrap 1.3.5's squashfs: the root's tar stream (./dev headers included; xattrs but the
 * `system.*` ones, which tar2sqfs cannot store, 5817-5825) into squashfs-tools-ng's tar2sqfs
 * with its options (6094-6099). tar2sqfs is the host's (as mmdebstrap's, on its host).
 */
const SQUASHFS: OutputFormat = {
  kind: 'squashfs',
  names: ['squashfs', 'sqfs'],
  suffixes: ['.squashfs', '.sqfs'],
  write: (root, target, ctx) =>
    writeRootTarball(
      root,
      target,
      imageOptions(ctx, {
        name: 'tar2sqfs',
        debianPackage: 'squashfs-tools-ng',
        tarXattrs: ['--xattrs', '--xattrs-exclude=system.*'],
        args: (file) => ['--quiet', '--no-skip', '--force', '--exportable', '--compressor', 'xz', '--block-size', '1048576', file],
      }),
    ),
};

/**
 * mmdebstrap 1.3.5's ext2: the root's tar stream without xattrs (genext2fs has none, 5826)
 * into `genext2fs -B 1024 -b N -i 16384 -a - TARGET` (6100-6104), N = `approx_disk_usage`.
 */
const EXT2: OutputFormat = {
  kind: 'ext2',
  names: ['ext2'],
  suffixes: ['.ext2'],
  async write(root, target, ctx) {
    const blocks = await approxDiskUsage(root);
    await writeRootTarball(
      root,
      target,
      imageOptions(ctx, {
        name: 'genext2fs',
        debianPackage: 'genext2fs',
        tarXattrs: [],
        args: (file) => ['-B', '1024', '-b', String(blocks), '-i', '16384', '-a', '-', file],
      }),
    );
  },
};

const NULL: OutputFormat = {
  kind: 'null',
  names: ['null'],
  suffixes: [],
  write: async () => undefined,
};

/** Every format, in mmdebstrap's order of `@valid_formats`. */
export const OUTPUT_FORMATS: readonly OutputFormat[] = [DIRECTORY, TAR, SQUASHFS, EXT2, NULL];

/** The `--format` names, `auto` first. */
export const FORMAT_NAMES: readonly string[] = ['auto', ...OUTPUT_FORMATS.flatMap((f) => f.names)];

/** The format of a `--format` name (not `auto`). */
export function formatNamed(name: string): OutputFormat {
  const f = OUTPUT_FORMATS.find((x) => x.names.includes(name));
  if (f === undefined) throw new CrossrootError('USAGE_FORMAT', `unknown --format ${name} (one of ${FORMAT_NAMES.join(', ')})`);
  return f;
}

/**
 * The format to write TARGET as: `--format NAME`, or, for `auto` (the default), mmdebstrap's
 * choice: `/dev/null` → null; an existing directory → directory; a tarball's suffix (or a
 * compression's) → tar; another format's suffix → it; anything else → directory. A TARGET the
 * format cannot be written to (a bzip2 tarball) is refused here, before anything is built.
 *
 * @example
 * await chooseFormat('root.tar.zst'); // the tar format
 */
export async function chooseFormat(target: string, name = 'auto'): Promise<OutputFormat> {
  const format = name === 'auto' ? await autoFormat(target) : formatNamed(name);
  format.check?.(target);
  return format;
}

async function autoFormat(target: string): Promise<OutputFormat> {
  if (target === '/dev/null') return NULL;
  const st = await lstat(target).catch(() => undefined);
  if (st?.isDirectory() === true) return DIRECTORY;
  if (isTarballName(target)) return TAR;
  const bySuffix = OUTPUT_FORMATS.find((f) => f !== TAR && f.suffixes.some((s) => target.endsWith(s)));
  return bySuffix ?? DIRECTORY;
}

async function headOf(path: string, length: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await fh.read(buf, 0, length, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** Compression from the first bytes (RFC 1952, xz-file-format, RFC 8878 magic numbers). */
function sniffCompression(head: Buffer): Compression | 'bzip2' {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  if (head.subarray(0, 4).equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))) return 'zstd';
  if (head.subarray(0, 3).toString('latin1') === 'BZh') return 'bzip2';
  return 'none';
}

/**
 * How `compare` reads the output at `path`: a directory is walked; a file is recognised by its
 * content (magic numbers), the name deciding only for a file too short to carry one. A tarball
 * is read through its decompressor. Unreadable or unknown inputs are FORMAT_ errors (exit 3).
 *
 * @example
 * const r = await readerFor('root.tar.xz'); // { kind: 'tar', label: 'tar.xz', bytes }
 */
export async function readerFor(path: string): Promise<OutputReader> {
  let head: Buffer;
  try {
    const st = await stat(path);
    if (st.isDirectory()) return { kind: 'directory' };
    head = await headOf(path, 1082);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new CrossrootError('FORMAT_INPUT', e.code === 'ENOENT' ? 'no such file or directory' : `cannot open: ${e.message}`, { file: path });
  }
  // squashfs: "hsqs" at 0 (squashfs 4 superblock). Read back by squashfs-tools-ng's sqfs2tar,
  // the root inode as "./" (its metadata kept), hard links as hard links.
  if (head.subarray(0, 4).toString('latin1') === 'hsqs') {
    return {
      kind: 'tar',
      label: 'squashfs',
      bytes: () => programOutput('sqfs2tar', ['--no-skip', '--root-becomes', '.', path], 'squashfs-tools-ng', path),
      ownerNames: false,
    };
  }
  // ext2/3/4: the superblock's magic 0xEF53 at 1024 + 56. No reader yet: say so, rather than
  // read the image as a tarball.
  if (head.length >= 1082 && head.readUInt16LE(1080) === 0xef53) {
    throw new CrossrootError('FORMAT_IMAGE', 'compare cannot read ext2/ext4 images yet (compare the tarball or a directory)', { file: path });
  }
  const found = head.length < 6 ? (compressionByName(path) ?? 'none') : sniffCompression(head);
  if (found === 'bzip2') throw new CrossrootError('FORMAT_COMPRESSION', 'bzip2 tarballs are not supported (use gzip, xz or zstd)', { file: path });
  return {
    kind: 'tar',
    label: TAR_LABEL[found],
    bytes: (decompressor) => decompressor(found, createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>, { file: path }),
  };
}
