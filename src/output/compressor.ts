// Output compressors — chosen by TARGET's suffix and run exactly as mmdebstrap 1.3.5 runs them
// (`get_tar_compressor`, 260-287; the pipe at 6090-6150). The one table of tarball suffixes:
// the format registry (format.ts) and compare's reader (compare/tree-source.ts) ask it too.

import { findProgram } from '../host/programs.js';
import { CrossrootError } from '../errors.js';
import type { Compression } from '../formats/compression.js';

/** A compressor program and its arguments. */
export interface Compressor {
  readonly name: 'gzip' | 'xz' | 'zstd';
  /** The argv after the program name: always empty, see `compressorFor`. */
  readonly args: readonly string[];
  /** The Debian package that ships it, for the HOST_ error's fix command. */
  readonly debianPackage: string;
}

const GZIP: Compressor = { name: 'gzip', args: [], debianPackage: 'gzip' };
const XZ: Compressor = { name: 'xz', args: [], debianPackage: 'xz-utils' };
const ZSTD: Compressor = { name: 'zstd', args: [], debianPackage: 'zstd' };

/**
 * mmdebstrap's `get_tar_compressor` (itself GNU tar's src/suffix.c), in its order, plus `.tzst`
 * which GNU tar knows and mmdebstrap does not. The programs crossroot does not run (compress,
 * bzip2, lzip, lzma, lzop, lz4) are recognised so that such a TARGET is refused as a tarball
 * crossroot cannot write — never silently taken for a directory name.
 */
const TAR_SUFFIXES: readonly { pattern: RegExp; compressor: Compressor | null | string }[] = [
  { pattern: /\.tar$/, compressor: null },
  { pattern: /\.(gz|tgz|taz)$/, compressor: GZIP },
  { pattern: /\.(Z|taZ)$/, compressor: 'compress' },
  { pattern: /\.(bz2|tbz|tbz2|tz2)$/, compressor: 'bzip2' },
  { pattern: /\.lz$/, compressor: 'lzip' },
  { pattern: /\.(lzma|tlz)$/, compressor: 'lzma' },
  { pattern: /\.lzo$/, compressor: 'lzop' },
  { pattern: /\.lz4$/, compressor: 'lz4' },
  { pattern: /\.(xz|txz)$/, compressor: XZ },
  { pattern: /\.(zst|tzst)$/, compressor: ZSTD },
];

/** The tarball suffixes crossroot writes and reads, for help texts. */
export const TARBALL_SUFFIXES = ['.tar', '.tar.gz', '.tgz', '.taz', '.tar.xz', '.txz', '.tar.zst', '.tzst'] as const;

/**
 * Whether TARGET names a tarball by its suffix, as mmdebstrap's format `auto` decides
 * (a `.tar` or any suffix `get_tar_compressor` knows, compressed or not).
 *
 * @example
 * isTarballName('root.tgz'); // true
 */
export function isTarballName(target: string): boolean {
  return TAR_SUFFIXES.some((s) => s.pattern.test(target));
}

/** The compression a tarball's name says (`none` for `.tar`), undefined for any other name. */
export function compressionByName(path: string): Compression | undefined {
  const s = TAR_SUFFIXES.find((x) => x.pattern.test(path));
  if (s === undefined || typeof s.compressor === 'string') return undefined;
  return s.compressor === null ? 'none' : s.compressor.name;
}

/**
 * The compressor for a tarball TARGET, or `undefined` for a plain `.tar`; a name that is no
 * tarball's, or a compression crossroot cannot write (bzip2, lzip, ...), is a usage error.
 * (`--format tar` with another name writes plain tar, as mmdebstrap: the tar writer asks
 * `isTarballName` first.)
 *
 * mmdebstrap runs the bare program name — `gzip`, `xz`, `zstd` — with no flags, reading the
 * tar stream from a pipe and writing TARGET on stdout. So the bytes are those programs'
 * defaults: gzip -6 with no name and a zero mtime (it read a pipe, so there is neither),
 * xz -6 single-threaded on xz 5.4 (`--threads=0` would split blocks and change the bytes),
 * zstd -3 with no content size in the frame header (a pipe has no size).
 *
 * @example
 * compressorFor('out.tar.xz'); // { name: 'xz', args: [], debianPackage: 'xz-utils' }
 */
export function compressorFor(target: string): Compressor | undefined {
  const s = TAR_SUFFIXES.find((x) => x.pattern.test(target));
  if (s?.compressor === null) return undefined;
  if (s !== undefined && typeof s.compressor !== 'string') return s.compressor;
  throw new CrossrootError(
    'USAGE_TARBALL_SUFFIX',
    `${s === undefined ? '' : `${s.compressor} tarballs are not written by crossroot: `}a tarball target ends in ${TARBALL_SUFFIXES.join(', ')}`,
    { file: target },
  );
}

/** The absolute path of the compressor's program; a HOST_ error with the fix when missing. */
export function compressorProgram(c: Compressor): string {
  const path = findProgram(c.name);
  if (path === undefined) {
    throw new CrossrootError(
      `HOST_MISSING_${c.name.toUpperCase()}`,
      `${c.name} is needed to write this tarball: apt-get install ${c.debianPackage}`,
    );
  }
  return path;
}

/**
 * The environment a compressor runs in: PATH only. gzip honours `GZIP`, xz `XZ_DEFAULTS` and
 * `XZ_OPT`, zstd `ZSTD_CLEVEL` and `ZSTD_NBTHREADS`; mmdebstrap passes the caller's
 * environment through (its man page even suggests XZ_OPT), so a stray variable changes its
 * output. crossroot reproduces mmdebstrap run with none of them set.
 */
export function compressorEnvironment(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin' };
}
