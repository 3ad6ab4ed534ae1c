// The "glibc-ld.so.cache1.1" file as glibc 2.36 ldconfig writes it (new format only) —
// elf/cache.c save_cache/add_to_cache/compare, elf/stringtable.c, sysdeps/generic/dl-cache.h.

/** One library as search_dir hands it to add_to_cache. */
export interface CacheEntry {
  /** The soname (the lookup key). */
  lib: string;
  /** "DIR/FILENAME" as the loader will open it. */
  path: string;
  flags: number;
  isaLevel: number;
  /** Legacy hwcap bits from the directory path (0 for most directories). */
  hwcap: bigint;
  /** glibc-hwcaps subdirectory name, when the library lives under DIR/glibc-hwcaps/NAME. */
  hwcaps: string | undefined;
}

export interface CacheInput {
  /** In add_to_cache call order; the writer sorts them as ldconfig does. */
  entries: readonly CacheEntry[];
  /** Every glibc-hwcaps subdirectory name seen (interned in the string table even if unused). */
  hwcapsNames: readonly string[];
  /** The generator string, e.g. "ldconfig (Debian GLIBC 2.36-9+deb12u10) stable release version 2.36". */
  generator: string;
  littleEndian: boolean;
  /** Whether the target's `char` is signed (x86), which `_dl_cache_libcmp` depends on. */
  signedChar: boolean;
}

const HEADER_SIZE = 48;
const ENTRY_SIZE = 24;
const EXTENSION_MAGIC = -358342284 >>> 0;
const TAG_GENERATOR = 0;
const TAG_GLIBC_HWCAPS = 1;
/** offsetof (struct cache_extension, sections) + cache_extension_count * sizeof (section). */
const EXTENSION_DIR_SIZE = 8 + 2 * 16;
const HWCAP_EXTENSION = 1n << 62n;

/**
 * `_dl_cache_libcmp` (elf/dl-cache.c): digit runs compare as (wrapping int) numbers, anything
 * else bytewise with the target's plain `char` signedness.
 *
 * @example
 * libcmp(Buffer.from('libz.so.10'), Buffer.from('libz.so.9'), false) > 0; // true
 */
export function libcmp(p1: Uint8Array, p2: Uint8Array, signedChar: boolean): number {
  const at = (p: Uint8Array, i: number): number => {
    const c = i < p.length ? p[i]! : 0;
    return signedChar && c >= 0x80 ? c - 0x100 : c;
  };
  const digit = (c: number): boolean => c >= 0x30 && c <= 0x39;
  let i = 0;
  let j = 0;
  while (at(p1, i) !== 0) {
    const c1 = at(p1, i);
    const c2 = at(p2, j);
    if (digit(c1)) {
      if (!digit(c2)) return 1;
      let v1 = c1 - 0x30;
      let v2 = c2 - 0x30;
      i++;
      j++;
      while (digit(at(p1, i))) v1 = (Math.imul(v1, 10) + at(p1, i++) - 0x30) | 0;
      while (digit(at(p2, j))) v2 = (Math.imul(v2, 10) + at(p2, j++) - 0x30) | 0;
      if (v1 !== v2) return (v1 - v2) | 0;
    } else if (digit(c2)) {
      return -1;
    } else if (c1 !== c2) {
      return c1 - c2;
    } else {
      i++;
      j++;
    }
  }
  return at(p1, i) - at(p2, j);
}

function popcount(v: bigint): number {
  let n = 0;
  for (let x = v; x !== 0n; x >>= 1n) if (x & 1n) n++;
  return n;
}

interface Sorted extends CacheEntry {
  libBytes: Buffer;
  bits: number;
}

/** cache.c `compare`: reversed libcmp, then flags descending, hwcaps entries first, … */
function compare(e1: Sorted, e2: Sorted, signedChar: boolean): number {
  const res = libcmp(e2.libBytes, e1.libBytes, signedChar);
  if (res !== 0) return res;
  if (e1.flags < e2.flags) return 1;
  if (e1.flags > e2.flags) return -1;
  if (e1.hwcaps !== undefined && e2.hwcaps === undefined) return -1;
  if (e1.hwcaps === undefined && e2.hwcaps !== undefined) return 1;
  if (e1.hwcaps !== undefined && e2.hwcaps !== undefined) {
    const c = Buffer.compare(Buffer.from(e1.hwcaps, 'latin1'), Buffer.from(e2.hwcaps, 'latin1'));
    if (c !== 0) return c;
  }
  if (e2.bits > e1.bits) return 1;
  if (e2.bits < e1.bits) return -1;
  if (e2.hwcap > e1.hwcap) return 1;
  if (e2.hwcap < e1.hwcap) return -1;
  return 0;
}

/**
 * add_to_cache's insertion: each new entry goes before the first existing one that compares
 * greater, so equal entries keep their call order (a stable insertion sort, kept literal).
 */
function sortEntries(entries: readonly CacheEntry[], signedChar: boolean): Sorted[] {
  const list: Sorted[] = [];
  for (const e of entries) {
    const s: Sorted = { ...e, libBytes: Buffer.from(e.lib, 'latin1'), bits: popcount(e.hwcap) };
    let k = 0;
    while (k < list.length && !(compare(list[k]!, s, signedChar) > 0)) k++;
    list.splice(k, 0, s);
  }
  return list;
}

/**
 * elf/stringtable.c: unique strings, sorted by their reversed bytes (descending, longer first on
 * a tie) so each string can share the tail of the one before it.
 */
export function finalizeStrings(strings: Iterable<string>): { table: Buffer; offsets: Map<string, number> } {
  const unique = [...new Set(strings)].map((s) => Buffer.from(s, 'latin1'));
  if (unique.length === 0) return { table: Buffer.alloc(0), offsets: new Map() };
  unique.sort((l, r) => {
    const n = Math.min(l.length, r.length);
    for (let i = 1; i <= n; i++) {
      const lc = l[l.length - i]!;
      const rc = r[r.length - i]!;
      if (lc !== rc) return rc - lc;
    }
    return l.length === r.length ? 0 : l.length < r.length ? 1 : -1;
  });
  const offsets = new Map<string, number>();
  let prev = unique[0]!;
  let prevOff = 0;
  offsets.set(prev.toString('latin1'), 0);
  for (let j = 1; j < unique.length; j++) {
    const cur = unique[j]!;
    let off: number;
    if (prev.length >= cur.length && prev.subarray(prev.length - cur.length).equals(cur)) {
      off = prevOff + prev.length - cur.length;
    } else {
      off = prevOff + prev.length + 1;
    }
    offsets.set(cur.toString('latin1'), off);
    prev = cur;
    prevOff = off;
  }
  const table = Buffer.alloc(prevOff + prev.length + 1);
  for (const s of unique) {
    const off = offsets.get(s.toString('latin1'))!;
    s.copy(table, off);
  }
  return { table, offsets };
}

/**
 * Serializes the cache exactly as save_cache does with `opt_format_new`.
 *
 * @example
 * const bytes = buildCacheFile({ entries, hwcapsNames: [], generator, littleEndian: true, signedChar: true });
 */
export function buildCacheFile(input: CacheInput): Buffer {
  const le = input.littleEndian;
  const sorted = sortEntries(input.entries, input.signedChar);

  // assign_glibc_hwcaps_indices: only used subdirectories, sorted by strcmp.
  const used = [...new Set(sorted.flatMap((e) => (e.hwcaps === undefined ? [] : [e.hwcaps])))].sort((a, b) =>
    Buffer.compare(Buffer.from(a, 'latin1'), Buffer.from(b, 'latin1')),
  );
  const hwcapsIndex = new Map(used.map((n, i) => [n, i]));

  const { table, offsets } = finalizeStrings([
    ...input.hwcapsNames,
    ...input.entries.flatMap((e) => [e.path, e.lib]),
  ]);

  const entriesSize = HEADER_SIZE + sorted.length * ENTRY_SIZE;
  const strOffset = entriesSize;
  const extensionOffset = Math.ceil((entriesSize + table.length) / 4) * 4;
  const hwcapsSize = used.length * 4;
  const generator = Buffer.from(input.generator, 'latin1');
  const sections = used.length > 0 ? 2 : 1;
  const extDirSize = 8 + sections * 16;
  const total = extensionOffset + extDirSize + hwcapsSize + generator.length;

  const out = Buffer.alloc(total);
  const u32 = (v: number, at: number): void => {
    if (le) out.writeUInt32LE(v >>> 0, at);
    else out.writeUInt32BE(v >>> 0, at);
  };
  const u64 = (v: bigint, at: number): void => {
    if (le) out.writeBigUInt64LE(v, at);
    else out.writeBigUInt64BE(v, at);
  };

  out.write('glibc-ld.so.cache1.1', 0, 'latin1');
  u32(sorted.length, 20);
  u32(table.length, 24);
  out[28] = le ? 2 : 3; // cache_file_new_flags_endian_little / _big
  u32(extensionOffset, 32);

  sorted.forEach((e, i) => {
    const at = HEADER_SIZE + i * ENTRY_SIZE;
    u32(e.flags, at);
    u32(strOffset + offsets.get(e.lib)!, at + 4);
    u32(strOffset + offsets.get(e.path)!, at + 8);
    u32(0, at + 12); // osversion_unused
    const hwcap =
      e.hwcaps === undefined ? e.hwcap : HWCAP_EXTENSION | (BigInt(e.isaLevel) << 32n) | BigInt(hwcapsIndex.get(e.hwcaps)!);
    u64(hwcap, at + 16);
  });
  table.copy(out, strOffset);

  // The extension directory; the generator offset assumes the full-size directory when the
  // hwcaps section exists, exactly as write_extensions computes it.
  const hwcapsOffset = extensionOffset + EXTENSION_DIR_SIZE;
  const generatorOffset = used.length === 0 ? hwcapsOffset - 16 : hwcapsOffset + hwcapsSize;
  let at = extensionOffset;
  u32(EXTENSION_MAGIC, at);
  u32(sections, at + 4);
  at += 8;
  u32(TAG_GENERATOR, at);
  u32(0, at + 4);
  u32(generatorOffset, at + 8);
  u32(generator.length, at + 12);
  at += 16;
  if (used.length > 0) {
    u32(TAG_GLIBC_HWCAPS, at);
    u32(0, at + 4);
    u32(hwcapsOffset, at + 8);
    u32(hwcapsSize, at + 12);
    at += 16;
    for (const name of used) {
      u32(strOffset + offsets.get(name)!, at);
      at += 4;
    }
  }
  generator.copy(out, at);
  return out;
}
