// How ldconfig classifies one candidate file — glibc elf/readlib.c process_file,
// elf/readelflib.c and the sysdeps/unix/sysv/linux/*/readelflib.c wrappers, as of 2.36 and as
// of 2.37 and later (commit 8ee878592c "Assume only FLAG_ELF_LIBC6 support": every ELF file is
// FLAG_ELF_LIBC6, the first DT_SONAME ends the walk, a.out files are libc6 too).

import { readSync } from 'node:fs';
import { FLAG, type ArchProfile } from './arch-profile.js';

/** What ldconfig learns from a shared object: its type flag, DT_SONAME and x86 ISA level. */
export interface LibraryInfo {
  flag: number;
  /** DT_SONAME; undefined when the object has none (the caller uses the file name). */
  soname: string | undefined;
  isaLevel: number;
}

const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const PT_INTERP = 3;
const PT_GNU_PROPERTY = 0x6474e553;
const DT_NULL = 0;
const DT_NEEDED = 1;
const DT_STRTAB = 5;
const DT_SONAME = 14;
const ET_DYN = 3;
const NT_GNU_PROPERTY_TYPE_0 = 5;
const GNU_PROPERTY_X86_ISA_1_NEEDED = 0xc0008002;
const EM_386 = 3;
const EM_IA_64 = 50;
const EM_X86_64 = 62;

/**
 * A file's bytes as far as they are looked at: all in memory, or read from the file a page
 * at a time (ldconfig maps the file; a library is read for its headers, dynamic section and
 * a few strings, a fraction of it).
 */
export interface ByteAccess {
  readonly length: number;
  /** `len` bytes at `off`, which the caller has checked are within `length`. */
  slice(off: number, len: number): Uint8Array;
}

/** The bytes of a buffer. */
export function bufferBytes(buf: Uint8Array): ByteAccess {
  return { length: buf.length, slice: (off, len) => buf.subarray(off, off + len) };
}

const PAGE = 4096;

/** The bytes of an open file of `size` bytes, read a page at a time as they are asked for. */
export function fileBytes(fd: number, size: number): ByteAccess {
  const pages = new Map<number, Buffer>();
  const page = (n: number): Buffer => {
    let p = pages.get(n);
    if (p === undefined) {
      p = Buffer.alloc(Math.min(PAGE, size - n * PAGE));
      readSync(fd, p, 0, p.length, n * PAGE);
      pages.set(n, p);
    }
    return p;
  };
  return {
    length: size,
    slice(off, len) {
      const first = Math.floor(off / PAGE);
      const last = Math.floor((off + len - 1) / PAGE);
      if (first === last || len === 0) return page(first).subarray(off - first * PAGE, off - first * PAGE + len);
      const out = Buffer.alloc(len);
      for (let n = first, at = 0; n <= last; n++) {
        const p = page(n);
        const from = n === first ? off - first * PAGE : 0;
        const to = Math.min(p.length, off + len - n * PAGE);
        p.copy(out, at, from, to);
        at += to - from;
      }
      return out;
    },
  };
}

/** Reads the file the way ldconfig does: every multi-byte field in the *target's* byte order. */
class Reader {
  constructor(
    readonly bytes: ByteAccess,
    readonly le: boolean,
  ) {}
  get length(): number {
    return this.bytes.length;
  }
  #view(off: number, len: number): DataView {
    if (!this.inBounds(off, len)) throw new Truncated();
    const b = this.bytes.slice(off, len);
    return new DataView(b.buffer, b.byteOffset, b.byteLength);
  }
  inBounds(off: number, len: number): boolean {
    return off >= 0 && off + len <= this.bytes.length;
  }
  /** The byte at `off`, or undefined past the end. */
  at(off: number): number | undefined {
    return this.inBounds(off, 1) ? this.bytes.slice(off, 1)[0] : undefined;
  }
  u16(off: number): number {
    return this.#view(off, 2).getUint16(0, this.le);
  }
  u32(off: number): number {
    return this.#view(off, 4).getUint32(0, this.le);
  }
  /** A 64-bit field as a number; larger values than 2^53 only occur in corrupt files. */
  u64(off: number): number {
    return Number(this.#view(off, 8).getBigUint64(0, this.le));
  }
  word(off: number, cls: 32 | 64): number {
    return cls === 32 ? this.u32(off) : this.u64(off);
  }
  /** A NUL-terminated string; one running off the end of the file stops there. */
  cstring(off: number): string {
    const bytes: number[] = [];
    for (let b = this.at(off); b !== undefined && b !== 0; b = this.at(++off)) bytes.push(b);
    return Buffer.from(bytes).toString('latin1');
  }
}

/** Raised internally where ldconfig would read past the mapping: the file is skipped. */
class Truncated extends Error {}

/**
 * Classifies one file as target ldconfig would, or returns undefined where ldconfig skips it
 * (not ELF/a.out, not ET_DYN, wrong class, no dynamic section, truncated).
 *
 * @example
 * const info = classifyLibrary(await readFile('/lib/x86_64-linux-gnu/libc.so.6'), 'libc.so.6', archProfile('amd64'));
 * // { flag: 0x303, soname: 'libc.so.6', isaLevel: 0 }
 */
export function classifyLibrary(
  data: Uint8Array | ByteAccess,
  libName: string,
  arch: ArchProfile,
  glibc: GlibcLdconfig = LEGACY_LDCONFIG,
): LibraryInfo | undefined {
  const r = new Reader(data instanceof Uint8Array ? bufferBytes(data) : data, arch.littleEndian);
  // sizeof (struct exec) and sizeof (ElfW(Ehdr)) of ldconfig's own word size.
  const minSize = arch.bits === 64 ? 64 : 52;
  if (r.length < minSize) return undefined;

  // a.out: N_MAGIC is the low 16 bits of the native a_info word (unsigned long).
  const aInfoLow = arch.littleEndian ? r.u16(0) : r.u16(arch.bits === 64 ? 6 : 2);
  if (aInfoLow === 0o413 || aInfoLow === 0o314) {
    return { flag: glibc.libc6Only ? FLAG.ELF_LIBC6 : FLAG.LIBC4, soname: libc4Soname(libName), isaLevel: 0 };
  }
  if (r.at(0) !== 0x7f || r.at(1) !== 0x45 || r.at(2) !== 0x4c || r.at(3) !== 0x46) return undefined;
  if (r.u16(16) !== ET_DYN) return undefined;
  try {
    return classifyElf(r, arch, glibc);
  } catch (e) {
    if (e instanceof Truncated) return undefined;
    throw e;
  }
}

/** implicit_soname for a.out (libc4) libraries: the name up to the major version. */
export function libc4Soname(lib: string): string {
  const major = lib.indexOf('.so.');
  if (major < 0) return lib;
  const dot = lib.indexOf('.', major + 4);
  return dot < 0 ? lib : lib.slice(0, dot);
}

/** The ldconfig generation: which of glibc's rules apply. */
export interface GlibcLdconfig {
  /** glibc ≥ 2.37: no libc4/libc5/ELF-only types, no interpreter or DT_NEEDED classification. */
  libc6Only: boolean;
}
/** glibc 2.36 (bookworm). */
export const LEGACY_LDCONFIG: GlibcLdconfig = { libc6Only: false };

function classifyElf(r: Reader, arch: ArchProfile, glibc: GlibcLdconfig): LibraryInfo | undefined {
  const processElf = (rr: Reader, a: ArchProfile, c: 32 | 64): LibraryInfo | undefined => processElfFile(rr, a, c, glibc);
  const cls: 32 | 64 = r.at(4) === 1 ? 32 : 64;
  switch (arch.elfFamily) {
    case 'x86': {
      let fileFlag = 0;
      const machine = r.u16(18);
      if (machine === EM_X86_64) {
        fileFlag = (r.at(4) === 2 ? FLAG.X8664_LIB64 : FLAG.X8664_LIBX32) | FLAG.ELF_LIBC6;
      } else if (machine === EM_IA_64 && arch.bits === 32) {
        if (r.at(4) !== 2) return undefined;
        fileFlag = FLAG.IA64_LIB64 | FLAG.ELF_LIBC6;
      } else if (machine !== EM_386 || r.at(4) !== 1) {
        return undefined;
      }
      const info = processElf(r, arch, cls);
      if (info !== undefined && fileFlag !== 0) info.flag = fileFlag;
      return info;
    }
    case 'arm': {
      const info = processElf(r, arch, cls);
      if (info === undefined) return undefined;
      if (cls === 64) {
        info.flag = FLAG.AARCH64_LIB64 | FLAG.ELF_LIBC6;
      } else {
        const eFlags = r.u32(36);
        if ((eFlags & 0xff000000) >>> 0 === 0x05000000) {
          if (eFlags & 0x400) info.flag = FLAG.ARM_LIBHF | FLAG.ELF_LIBC6;
          else if (eFlags & 0x200) info.flag = FLAG.ARM_LIBSF | FLAG.ELF_LIBC6;
          else info.flag = FLAG.ELF_LIBC6;
        }
      }
      return info;
    }
    case 'powerpc':
    case 's390': {
      const info = processElf(r, arch, cls);
      if (info !== undefined && cls === 64) {
        info.flag = (arch.elfFamily === 's390' ? FLAG.S390_LIB64 : FLAG.POWERPC_LIB64) | FLAG.ELF_LIBC6;
      }
      return info;
    }
    case 'riscv': {
      const info = processElf(r, arch, cls);
      const eFlags = r.u32(cls === 32 ? 36 : 48);
      // EF_RISCV_FLOAT_ABI (0x6): soft 0, double 4; single and quad are not supported.
      const abi = eFlags & 0x6;
      if (abi !== 0 && abi !== 4) return undefined;
      if ((eFlags & ~0x7) !== 0) return undefined;
      if (info === undefined) return undefined;
      info.flag |= abi === 0 ? FLAG.RISCV_FLOAT_ABI_SOFT : FLAG.RISCV_FLOAT_ABI_DOUBLE;
      return info;
    }
    case 'mips': {
      const info = processElf(r, arch, cls);
      if (info === undefined) return undefined;
      const eFlags = r.u32(cls === 32 ? 36 : 48);
      const nan2008 = (eFlags & 0x400) !== 0; // EF_MIPS_NAN2008
      if (cls === 64) {
        info.flag = (nan2008 ? FLAG.MIPS64_LIBN64_NAN2008 : FLAG.MIPS64_LIBN64) | FLAG.ELF_LIBC6;
      } else if ((eFlags & 0x20) !== 0) {
        // EF_MIPS_ABI2: n32.
        info.flag = (nan2008 ? FLAG.MIPS64_LIBN32_NAN2008 : FLAG.MIPS64_LIBN32) | FLAG.ELF_LIBC6;
      } else if (nan2008) {
        info.flag = FLAG.MIPS_LIB32_NAN2008 | FLAG.ELF_LIBC6;
      }
      return info;
    }
    case 'loongarch': {
      // 64-bit only: process_elf64_file, whatever the file's class says.
      const info = processElf(r, arch, 64);
      // EF_LARCH_OBJABI_V1 (0x40) is cleared first; then soft (0x1) or double (0x3) float only.
      const eFlags = r.u32(48) & ~0x40;
      const abi = eFlags & 0x3;
      if (abi !== 0x1 && abi !== 0x3) return undefined;
      if ((eFlags & ~0x3) !== 0) return undefined;
      if (info === undefined) return undefined;
      info.flag |= abi === 0x1 ? FLAG.LARCH_FLOAT_ABI_SOFT : FLAG.LARCH_FLOAT_ABI_DOUBLE;
      return info;
    }
  }
}

/** elf/readelflib.c process_elf_file for one ELF class. */
function processElfFile(r: Reader, arch: ArchProfile, cls: 32 | 64, glibc: GlibcLdconfig): LibraryInfo | undefined {
  const len = r.length;
  if (r.at(4) !== (cls === 32 ? 1 : 2)) return undefined;
  if (r.u16(16) !== ET_DYN) return undefined;
  const phoff = r.word(cls === 32 ? 28 : 32, cls);
  const phnum = r.u16(cls === 32 ? 44 : 56);
  const phsize = cls === 32 ? 32 : 56;
  if (phoff > len) return undefined;

  const info: LibraryInfo = { flag: glibc.libc6Only ? FLAG.ELF_LIBC6 : FLAG.ELF, soname: undefined, isaLevel: 0 };
  const segs: Array<{ type: number; offset: number; vaddr: number; filesz: number; align: number }> = [];
  // dynamic_addr is an unsigned int in readelflib.c.
  let dynamicAddr = 0;
  let dynamicSize = 0;
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * phsize;
    if (p > len) return undefined;
    const seg =
      cls === 32
        ? { type: r.u32(p), offset: r.u32(p + 4), vaddr: r.u32(p + 8), filesz: r.u32(p + 16), align: r.u32(p + 28) }
        : { type: r.u32(p), offset: r.u64(p + 8), vaddr: r.u64(p + 16), filesz: r.u64(p + 32), align: r.u64(p + 48) };
    segs.push(seg);
    if (seg.type === PT_DYNAMIC) {
      dynamicAddr = seg.offset % 2 ** 32;
      dynamicSize = seg.filesz;
    } else if (seg.type === PT_INTERP) {
      if (seg.offset > len) return undefined;
      if (glibc.libc6Only) continue;
      const interp = r.cstring(seg.offset);
      const known = arch.interpreters.find(([name]) => name === interp);
      if (known !== undefined) info.flag = known[1];
    } else if (seg.type === PT_GNU_PROPERTY && arch.readsX86IsaLevel && seg.align === cls / 8) {
      const level = x86IsaLevel(r, seg.offset, seg.filesz, seg.align, cls);
      if (level !== undefined) info.isaLevel = level;
    }
  }
  if (dynamicSize === 0) return undefined;
  if (dynamicAddr > len) return undefined;

  const dynSize = cls === 32 ? 8 : 16;
  const tag = (off: number): number => (cls === 32 ? r.u32(off) | 0 : r.u64(off));
  let strtab: number | undefined;
  for (let d = dynamicAddr; tag(d) !== DT_NULL; d += dynSize) {
    if (d > len) return undefined;
    if (tag(d) === DT_STRTAB) {
      const val = r.word(d + dynSize / 2, cls);
      const load = segs.find((s) => s.type === PT_LOAD && val >= s.vaddr && val - s.vaddr < s.filesz);
      const loadoff = load === undefined ? 0 : load.vaddr - load.offset;
      strtab = val - loadoff;
      if (strtab < 0 || strtab > len) return undefined;
      break;
    }
  }
  if (strtab === undefined) return undefined;

  for (let d = dynamicAddr; tag(d) !== DT_NULL; d += dynSize) {
    const t = tag(d);
    if (glibc.libc6Only && t !== DT_SONAME) continue;
    if (t !== DT_NEEDED && t !== DT_SONAME) continue;
    const nameOff = strtab + r.word(d + dynSize / 2, cls);
    if (nameOff > len) return undefined;
    const name = r.cstring(nameOff);
    if (t === DT_NEEDED) {
      if (info.flag === FLAG.ELF) {
        const known = arch.knownLibs.find(([n]) => n === name);
        if (known !== undefined) info.flag = known[1];
      }
    } else {
      info.soname = name;
      if (glibc.libc6Only) return info;
    }
    if (info.soname !== undefined && info.flag !== FLAG.ELF) return info;
  }
  return info;
}

/** The x86 NT_GNU_PROPERTY_TYPE_0 walk: the highest bit of GNU_PROPERTY_X86_ISA_1_NEEDED. */
function x86IsaLevel(r: Reader, start: number, size: number, align: number, cls: 32 | 64): number | undefined {
  const addr = cls / 8;
  const up = (v: number, a: number): number => Math.ceil(v / a) * a;
  let note = start;
  while (note + 12 - start < size) {
    const namesz = r.u32(note);
    const descsz = r.u32(note + 4);
    const type = r.u32(note + 8);
    if (namesz === 4 && type === NT_GNU_PROPERTY_TYPE_0 && r.cstring(note + 12) === 'GNU') {
      if (descsz < 8 || descsz % addr !== 0) return undefined;
      let ptr = note + 16;
      const end = ptr + descsz;
      let lastType = 0;
      do {
        const ptype = r.u32(ptr);
        const datasz = r.u32(ptr + 4);
        if (ptype < lastType) return undefined;
        ptr += 8;
        if (ptr + datasz > end) return undefined;
        lastType = ptype;
        if (ptype > GNU_PROPERTY_X86_ISA_1_NEEDED) return undefined;
        if (ptype === GNU_PROPERTY_X86_ISA_1_NEEDED) {
          if (datasz !== 4) return undefined;
          const needed = r.u32(ptr);
          return needed === 0 ? undefined : 31 - Math.clz32(needed);
        }
        ptr += up(datasz, addr);
      } while (end - ptr >= 8);
      return undefined;
    }
    note += up(up(12 + namesz, align) + descsz, align);
  }
  return undefined;
}
