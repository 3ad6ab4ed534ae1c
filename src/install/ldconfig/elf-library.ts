// How ldconfig classifies one candidate file — glibc 2.36 elf/readlib.c process_file,
// elf/readelflib.c and the sysdeps/unix/sysv/linux/*/readelflib.c wrappers.
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

/** Reads the file the way ldconfig does: every multi-byte field in the *target's* byte order. */
class Reader {
  constructor(
    readonly buf: Uint8Array,
    readonly le: boolean,
  ) {}
  #view = (): DataView => new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  inBounds(off: number, len: number): boolean {
    return off >= 0 && off + len <= this.buf.length;
  }
  u16(off: number): number {
    if (!this.inBounds(off, 2)) throw new Truncated();
    return this.#view().getUint16(off, this.le);
  }
  u32(off: number): number {
    if (!this.inBounds(off, 4)) throw new Truncated();
    return this.#view().getUint32(off, this.le);
  }
  /** A 64-bit field as a number; larger values than 2^53 only occur in corrupt files. */
  u64(off: number): number {
    if (!this.inBounds(off, 8)) throw new Truncated();
    return Number(this.#view().getBigUint64(off, this.le));
  }
  word(off: number, cls: 32 | 64): number {
    return cls === 32 ? this.u32(off) : this.u64(off);
  }
  /** A NUL-terminated string; one running off the end of the file stops there. */
  cstring(off: number): string {
    let end = off;
    while (end < this.buf.length && this.buf[end] !== 0) end++;
    return Buffer.from(this.buf.subarray(off, end)).toString('latin1');
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
export function classifyLibrary(buf: Uint8Array, libName: string, arch: ArchProfile): LibraryInfo | undefined {
  const r = new Reader(buf, arch.littleEndian);
  // sizeof (struct exec) and sizeof (ElfW(Ehdr)) of ldconfig's own word size.
  const minSize = arch.bits === 64 ? 64 : 52;
  if (buf.length < minSize) return undefined;

  // a.out: N_MAGIC is the low 16 bits of the native a_info word (unsigned long).
  const aInfoLow = arch.littleEndian ? r.u16(0) : r.u16(arch.bits === 64 ? 6 : 2);
  if (aInfoLow === 0o413 || aInfoLow === 0o314) {
    return { flag: FLAG.LIBC4, soname: libc4Soname(libName), isaLevel: 0 };
  }
  if (buf[0] !== 0x7f || buf[1] !== 0x45 || buf[2] !== 0x4c || buf[3] !== 0x46) return undefined;
  if (r.u16(16) !== ET_DYN) return undefined;
  try {
    return classifyElf(r, arch);
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

function classifyElf(r: Reader, arch: ArchProfile): LibraryInfo | undefined {
  const cls: 32 | 64 = r.buf[4] === 1 ? 32 : 64;
  switch (arch.elfFamily) {
    case 'x86': {
      let fileFlag = 0;
      const machine = r.u16(18);
      if (machine === EM_X86_64) {
        fileFlag = (r.buf[4] === 2 ? FLAG.X8664_LIB64 : FLAG.X8664_LIBX32) | FLAG.ELF_LIBC6;
      } else if (machine === EM_IA_64 && arch.bits === 32) {
        if (r.buf[4] !== 2) return undefined;
        fileFlag = FLAG.IA64_LIB64 | FLAG.ELF_LIBC6;
      } else if (machine !== EM_386 || r.buf[4] !== 1) {
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
  }
}

/** elf/readelflib.c process_elf_file for one ELF class. */
function processElf(r: Reader, arch: ArchProfile, cls: 32 | 64): LibraryInfo | undefined {
  const len = r.buf.length;
  if (r.buf[4] !== (cls === 32 ? 1 : 2)) return undefined;
  if (r.u16(16) !== ET_DYN) return undefined;
  const phoff = r.word(cls === 32 ? 28 : 32, cls);
  const phnum = r.u16(cls === 32 ? 44 : 56);
  const phsize = cls === 32 ? 32 : 56;
  if (phoff > len) return undefined;

  const info: LibraryInfo = { flag: FLAG.ELF, soname: undefined, isaLevel: 0 };
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
