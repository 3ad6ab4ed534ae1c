// The /dev entries of a root — mmdebstrap 1.3.5's `@devfiles` table (86-101) and the ustar
// headers it hand-crafts for them (5766-5801), ported byte for byte; from 1.4 on (trixie's 1.5.7
// `@linuxdevfiles` 92-108, 7088-7115) the same entries with POSIX magic and version.

/** One synthesised /dev entry. */
export interface DevEntry {
  /** Path relative to the root, as it appears in the tarball (`./dev/null`, `./dev/pts/`). */
  readonly name: string;
  readonly mode: number;
  readonly type: 'directory' | 'character' | 'symlink';
  /** Symlink target, for `symlink` entries. */
  readonly link?: string;
  /** Device numbers, for `character` entries. */
  readonly major?: number;
  readonly minor?: number;
}

/** The 15 entries, in mmdebstrap's order (which is also the order of the tarball). */
export const DEV_ENTRIES: readonly DevEntry[] = [
  { name: './dev/', mode: 0o755, type: 'directory' },
  { name: './dev/console', mode: 0o666, type: 'character', major: 5, minor: 1 },
  { name: './dev/fd', mode: 0o777, type: 'symlink', link: '/proc/self/fd' },
  { name: './dev/full', mode: 0o666, type: 'character', major: 1, minor: 7 },
  { name: './dev/null', mode: 0o666, type: 'character', major: 1, minor: 3 },
  { name: './dev/ptmx', mode: 0o666, type: 'character', major: 5, minor: 2 },
  { name: './dev/pts/', mode: 0o755, type: 'directory' },
  { name: './dev/random', mode: 0o666, type: 'character', major: 1, minor: 8 },
  { name: './dev/shm/', mode: 0o755, type: 'directory' },
  { name: './dev/stderr', mode: 0o777, type: 'symlink', link: '/proc/self/fd/2' },
  { name: './dev/stdin', mode: 0o777, type: 'symlink', link: '/proc/self/fd/0' },
  { name: './dev/stdout', mode: 0o777, type: 'symlink', link: '/proc/self/fd/1' },
  { name: './dev/tty', mode: 0o666, type: 'character', major: 5, minor: 0 },
  { name: './dev/urandom', mode: 0o666, type: 'character', major: 1, minor: 9 },
  { name: './dev/zero', mode: 0o666, type: 'character', major: 1, minor: 5 },
];

const TYPEFLAG = { directory: '5', character: '3', symlink: '2' } as const;

/** The largest mtime the 11-digit octal field holds (mmdebstrap's `%011o`). */
export const MAX_HEADER_MTIME = 8 ** 11 - 1;

/**
 * The 15 × 512 bytes mmdebstrap writes before GNU tar's stream. They are *not* what GNU tar
 * would write for these entries: GNU magic `"ustar  \0"` instead of POSIX `"ustar\0" "00"`,
 * uname/gname and (for non-devices) devmajor/devminor all NUL, and a checksum of six octal
 * digits, NUL, space — i.e. Perl's
 * `pack('a100 a8 a8 a8 a12 a12 A8 a1 a100 a8 a32 a32 a8 a8 a155 x12', ...)` with
 * `substr($entry, 148, 7) = sprintf("%06o\0", unpack("%16C*", $entry))`.
 *
 * @example
 * const block = devTarHeaders(1700000000); // block.length === 7680
 */
export function devTarHeaders(mtime: number, magic: DevHeaderMagic = 'gnu'): Buffer {
  if (!Number.isSafeInteger(mtime) || mtime < 0 || mtime > MAX_HEADER_MTIME) {
    throw new RangeError(`mtime ${mtime} does not fit a ustar header`);
  }
  return Buffer.concat(DEV_ENTRIES.map((e) => devHeader(e, mtime, magic)));
}

/**
 * The magic and version fields: mmdebstrap 1.3.5 packs `a8` "ustar  " (GNU: "ustar " + " \0"),
 * 1.4 and later `a6 a2` "ustar", "00" (POSIX: "ustar\0" + "00").
 */
export type DevHeaderMagic = 'gnu' | 'posix';

function devHeader(e: DevEntry, mtime: number, magic: DevHeaderMagic): Buffer {
  const h = Buffer.alloc(512); // every `a` field is NUL-padded, `x12` is 12 NULs
  let at = 0;
  const field = (width: number, value: string, pad: 'nul' | 'space' = 'nul') => {
    // Perl's `a`/`A` truncate to the width; the names here are far below it.
    const bytes = Buffer.from(value, 'utf8').subarray(0, width);
    if (pad === 'space') h.fill(0x20, at, at + width);
    bytes.copy(h, at);
    at += width;
  };
  const octal = (n: number, digits: number) => n.toString(8).padStart(digits, '0');
  field(100, e.name);
  field(8, octal(e.mode, 7));
  field(8, octal(0, 7)); // uid
  field(8, octal(0, 7)); // gid
  field(12, octal(0, 11)); // size
  field(12, octal(mtime, 11));
  field(8, '', 'space'); // checksum: `A8` of '' is eight spaces, which is what the sum needs
  field(1, TYPEFLAG[e.type]);
  field(100, e.link ?? '');
  if (magic === 'gnu') field(8, 'ustar  '); // GNU magic + version, the trailing NUL from `a8`
  else {
    field(6, 'ustar'); // `a6`: NUL-terminated
    field(2, '00');
  }
  field(32, ''); // uname
  field(32, ''); // gname
  field(8, e.major === undefined ? '' : octal(e.major, 7));
  field(8, e.minor === undefined ? '' : octal(e.minor, 7));
  field(155, ''); // prefix
  // `unpack("%16C*")`: the byte sum modulo 2^16; written as `%06o\0`, byte 155 stays a space.
  let sum = 0;
  for (const b of h) sum += b;
  Buffer.from(`${octal(sum % 0x10000, 6)}\0`, 'latin1').copy(h, 148);
  return h;
}
