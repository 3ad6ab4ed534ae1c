// Output compressors — chosen by TARGET's suffix and run exactly as mmdebstrap 1.3.5 runs them
// (`get_tar_compressor`, 260-287; the pipe at 6090-6150).

import { findProgram } from '../host/programs.js';
import { CrossrootError } from '../errors.js';

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
 * The compressor for a tarball TARGET, or `undefined` for a plain `.tar`; a TARGET that is
 * neither a tarball nor a compressed one is a usage error.
 *
 * mmdebstrap runs the bare program name — `gzip`, `xz`, `zstd` — with no flags, reading the
 * tar stream from a pipe and writing TARGET on stdout. So the bytes are those programs'
 * defaults: gzip -6 with no name and a zero mtime (it read a pipe, so there is neither),
 * xz -6 single-threaded on xz 5.4 (`--threads=0` would split blocks and change the bytes),
 * zstd -3 with no content size in the frame header (a pipe has no size). The suffixes are
 * mmdebstrap's (`.tgz`/`.taz` too), plus `.tzst` which GNU tar knows and mmdebstrap does not.
 *
 * @example
 * compressorFor('out.tar.xz'); // { name: 'xz', args: [], debianPackage: 'xz-utils' }
 */
export function compressorFor(target: string): Compressor | undefined {
  if (/\.tar$/.test(target)) return undefined;
  if (/\.(gz|tgz|taz)$/.test(target)) return GZIP;
  if (/\.(xz|txz)$/.test(target)) return XZ;
  if (/\.(zst|tzst)$/.test(target)) return ZSTD;
  throw new CrossrootError(
    'USAGE_TARBALL_SUFFIX',
    'a tarball target ends in .tar, .tar.gz, .tgz, .tar.xz, .txz, .tar.zst or .tzst',
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
