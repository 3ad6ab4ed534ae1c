// What glibc's ldconfig, as Debian builds it for one architecture, knows about that
// architecture — sysdeps/unix/sysv/linux/*/{ldconfig.h,dl-cache.h,readelflib.c,dl-procinfo.h}
// (glibc 2.36, bookworm; 2.41 trixie and 2.43 sid only read the ELF class, flags and
// DT_SONAME: the interpreter/known-library tables and legacy hwcaps went in 2.37).
import { CrossrootError } from '../../errors.js';
import { ARCHITECTURES } from '../../host/architectures.js';

/** ldconfig.h FLAG_* values (sysdeps/generic/ldconfig.h). */
export const FLAG = {
  ANY: -1,
  TYPE_MASK: 0x00ff,
  LIBC4: 0x0000,
  ELF: 0x0001,
  ELF_LIBC5: 0x0002,
  ELF_LIBC6: 0x0003,
  X8664_LIB64: 0x0300,
  S390_LIB64: 0x0400,
  POWERPC_LIB64: 0x0500,
  X8664_LIBX32: 0x0800,
  ARM_LIBHF: 0x0900,
  AARCH64_LIB64: 0x0a00,
  ARM_LIBSF: 0x0b00,
  IA64_LIB64: 0x0200,
  MIPS64_LIBN32: 0x0600,
  MIPS64_LIBN64: 0x0700,
  MIPS_LIB32_NAN2008: 0x0c00,
  MIPS64_LIBN32_NAN2008: 0x0d00,
  MIPS64_LIBN64_NAN2008: 0x0e00,
  RISCV_FLOAT_ABI_SOFT: 0x0f00,
  RISCV_FLOAT_ABI_DOUBLE: 0x1000,
  LARCH_FLOAT_ABI_SOFT: 0x1100,
  LARCH_FLOAT_ABI_DOUBLE: 0x1200,
} as const;

/** Which sysdeps readelflib.c wrapper classifies the ELF files. */
export type ElfFamily = 'x86' | 'arm' | 'powerpc' | 's390' | 'riscv' | 'mips' | 'loongarch';

export interface ArchProfile {
  debianArch: string;
  /** Multiarch triplet: SLIBDIR is /lib/TRIPLET, LIBDIR /usr/lib/TRIPLET in Debian's build. */
  triplet: string;
  littleEndian: boolean;
  /** ldconfig's own word size: sets sizeof (ElfW(Ehdr)) and sizeof (struct exec). */
  bits: 32 | 64;
  /** Plain `char` is signed (only on x86): `_dl_cache_libcmp` subtracts chars. */
  signedChar: boolean;
  elfFamily: ElfFamily;
  /** readlib.c `interpreters[]`: "/lib/" LD_SO first, then SYSDEP_KNOWN_INTERPRETER_NAMES. */
  interpreters: ReadonlyArray<readonly [string, number]>;
  /** readlib.c `known_libs[]`: LIBC_SO, LIBM_SO, then SYSDEP_KNOWN_LIBRARY_NAMES. */
  knownLibs: ReadonlyArray<readonly [string, number]>;
  /** x86 only: elf-read-prop.h reads GNU_PROPERTY_X86_ISA_1_NEEDED into the ISA level. */
  readsX86IsaLevel: boolean;
  /** `_dl_string_hwcap`: the index of a legacy hwcap subdirectory name, or -1. */
  stringHwcap(name: string): number;
  /** `_dl_string_platform`: the hwcap bit of a platform subdirectory name, or -1. */
  stringPlatform(name: string): number;
  /** HWCAP_IMPORTANT: which hwcap indices count as subdirectories to scan. */
  hwcapImportant: bigint;
}

const L6 = FLAG.ELF_LIBC6;
const LIBS6: ReadonlyArray<readonly [string, number]> = [
  ['libc.so.6', L6],
  ['libm.so.6', L6],
  ['libc.so.6', L6],
  ['libm.so.6', L6],
];

function table(names: readonly string[]): (name: string) => number {
  return (name) => names.indexOf(name);
}
const none = (): number => -1;

// sysdeps/x86/dl-procinfo.c, with dl-hwcap.h's IS_IN (ldconfig) configuration (both i386 and
// x86-64 ldconfig handle both word sizes, so they share it).
const X86_HWCAPS = ['sse2', 'x86_64', 'avx512_1'];
const X86_PLATFORMS = ['i586', 'i686', 'haswell', 'xeon_phi'];
const x86Platform = (name: string): number => {
  const i = X86_PLATFORMS.indexOf(name);
  return i < 0 ? -1 : 48 + i;
};

// sysdeps/unix/sysv/linux/arm/dl-procinfo.c (27 names; "tls" is hwcap 15 here, not bit 63).
const ARM_HWCAPS = [
  'swp', 'half', 'thumb', '26bit', 'fastmult', 'fpa', 'vfp', 'edsp', 'java', 'iwmmxt', 'crunch',
  'thumbee', 'neon', 'vfpv3', 'vfpv3d16', 'tls', 'vfpv4', 'idiva', 'idivt', 'vfpd32', 'lpae',
  'evtstrm', 'aes', 'pmull', 'sha1', 'sha2', 'crc32',
];
// sysdeps/unix/sysv/linux/aarch64/dl-procinfo.c (_DL_HWCAP_COUNT 32).
const AARCH64_HWCAPS = [
  'fp', 'asimd', 'evtstrm', 'aes', 'pmull', 'sha1', 'sha2', 'crc32', 'atomics', 'fphp', 'asimdhp',
  'cpuid', 'asimdrdm', 'jscvt', 'fcma', 'lrcpc', 'dcpop', 'sha3', 'sm3', 'sm4', 'asimddp', 'sha512',
  'sve', 'asimdfhm', 'dit', 'uscat', 'ilrcpc', 'flagm', 'ssbs', 'sb', 'paca', 'pacg',
];
// sysdeps/s390/dl-procinfo.c.
const S390_HWCAPS = [
  'esan3', 'zarch', 'stfle', 'msa', 'ldisp', 'eimm', 'dfp', 'edat', 'etf3eh', 'highgprs', 'te', 'vx',
  'vxd', 'vxe', 'gs', 'vxe2', 'vxp', 'sort', 'dflt', 'vxp2', 'nnpa', 'pcimio', 'sie',
];
const S390_PLATFORMS = ['g5', 'z900', 'z990', 'z9-109', 'z10', 'z196', 'zEC12', 'z13', 'z14', 'z15', 'z16'];
// sysdeps/powerpc/dl-procinfo.c: 64 names, empty ones never match a directory name.
const PPC_HWCAPS = [
  'ppcle', 'true_le', '', '', '', '', 'archpmu', 'vsx', 'arch_2_06', 'power6x', 'dfp', 'pa6t',
  'arch_2_05', 'ic_snoop', 'smt', 'booke', 'cellbe', 'power5+', 'power5', 'power4', 'notb',
  'efpdouble', 'efpsingle', 'spe', 'ucache', '4xxmac', 'mmu', 'fpu', 'altivec', 'ppc601', 'ppc64',
  'ppc32', '', '', '', '', '', '', '', '', '', '', '', '', '', '', '', '', '', 'mma', 'arch_3_1',
  'htm-no-suspend', 'scv', 'darn', 'ieee128', 'arch_3_00', 'htm-nosc', 'vcrypto', 'tar', 'isel',
  'ebb', 'dscr', 'htm', 'arch_2_07',
];
// sysdeps/powerpc/dl-procinfo.h _dl_string_platform (PPC_PLATFORM_* relative to bit 32).
const PPC_PLATFORM = new Map<string, number>([
  ['power4', 0], ['ppc970', 1], ['power5', 2], ['power5+', 3], ['power6', 4], ['ppc-cell-be', 5],
  ['power6x', 6], ['power7', 7], ['ppca2', 8], ['ppc405', 9], ['ppc440', 10], ['ppc464', 11],
  ['ppc476', 12], ['power8', 13], ['power9', 14], ['power10', 15],
]);

// sysdeps/mips/dl-procinfo.c _dl_mips_platforms (a platform's index is its hwcap bit).
const MIPS_PLATFORMS = ['loongson2e', 'loongson2f', 'octeon', 'octeon2'];

function bits(...idx: number[]): bigint {
  return idx.reduce((m, i) => m | (1n << BigInt(i)), 0n);
}

type ProfileFacts = Omit<ArchProfile, 'knownLibs' | 'triplet' | 'littleEndian' | 'bits'> & { knownLibs?: ArchProfile['knownLibs'] };

/** A profile: triplet, byte order and word size from the architecture table, the rest glibc's. */
function profile(p: ProfileFacts): ArchProfile {
  const a = ARCHITECTURES.get(p.debianArch)!;
  return { knownLibs: LIBS6, triplet: a.triplet, littleEndian: a.littleEndian, bits: a.bits, ...p };
}

const x86 = {
  signedChar: true,
  elfFamily: 'x86' as const,
  readsX86IsaLevel: true,
  stringHwcap: table(X86_HWCAPS),
  stringPlatform: x86Platform,
  hwcapImportant: bits(0, 1, 2),
};
const noX86 = { signedChar: false, readsX86IsaLevel: false };

const PROFILES: Record<string, ArchProfile> = {
  amd64: profile({
    debianArch: 'amd64', ...x86,
    interpreters: [
      ['/lib/ld-linux-x86-64.so.2', L6], ['/lib/ld-linux.so.2', L6],
      ['/libx32/ld-linux-x32.so.2', L6], ['/lib64/ld-linux-x86-64.so.2', L6],
    ],
  }),
  i386: profile({
    debianArch: 'i386', ...x86,
    interpreters: [['/lib/ld-linux.so.2', L6], ['/lib/ld-linux.so.1', FLAG.ELF_LIBC5]],
    knownLibs: [
      ['libc.so.6', L6], ['libm.so.6', L6], ['libc.so.5', FLAG.ELF_LIBC5], ['libm.so.5', FLAG.ELF_LIBC5],
    ],
  }),
  arm64: profile({
    debianArch: 'arm64', ...noX86,
    elfFamily: 'arm',
    interpreters: [
      '/lib/ld-linux-aarch64.so.1', '/lib/ld-linux-aarch64.so.1', '/lib/ld-linux-aarch64_be.so.1',
      '/lib/ld-linux-aarch64_ilp32.so.1', '/lib/ld-linux-aarch64_be_ilp32.so.1', '/lib/ld-linux.so.3',
      '/lib/ld-linux-armhf.so.3',
    ].map((n) => [n, L6] as const),
    stringHwcap: table(AARCH64_HWCAPS), stringPlatform: none, hwcapImportant: bits(8),
  }),
  armhf: profile({
    debianArch: 'armhf', ...noX86,
    elfFamily: 'arm',
    interpreters: ['/lib/ld-linux-armhf.so.3', '/lib/ld-linux.so.3', '/lib/ld-linux-armhf.so.3'].map(
      (n) => [n, L6] as const,
    ),
    stringHwcap: table(ARM_HWCAPS), stringPlatform: none, hwcapImportant: bits(6, 12),
  }),
  armel: profile({
    debianArch: 'armel', ...noX86,
    elfFamily: 'arm',
    interpreters: ['/lib/ld-linux.so.3', '/lib/ld-linux.so.3', '/lib/ld-linux-armhf.so.3'].map(
      (n) => [n, L6] as const,
    ),
    stringHwcap: table(ARM_HWCAPS), stringPlatform: none, hwcapImportant: bits(6, 12),
  }),
  s390x: profile({
    debianArch: 's390x', ...noX86,
    elfFamily: 's390',
    interpreters: ['/lib/ld64.so.1', '/lib/ld.so.1', '/lib/ld64.so.1'].map((n) => [n, L6] as const),
    stringHwcap: table(S390_HWCAPS),
    stringPlatform: (n) => {
      const i = S390_PLATFORMS.indexOf(n);
      return i < 0 ? -1 : 32 + i;
    },
    // HWCAP_IMPORTANT: zarch ldisp eimm dfp vx vxe vxe2.
    hwcapImportant: bits(1, 4, 5, 6, 11, 13, 15),
  }),
  ppc64el: profile({
    debianArch: 'ppc64el', ...noX86,
    elfFamily: 'powerpc',
    interpreters: ['/lib/ld64.so.2', '/lib/ld.so.1', '/lib64/ld64.so.1', '/lib64/ld64.so.2'].map(
      (n) => [n, L6] as const,
    ),
    stringHwcap: (n) => (n === '' ? -1 : PPC_HWCAPS.indexOf(n)),
    stringPlatform: (n) => {
      const i = PPC_PLATFORM.get(n);
      return i === undefined ? -1 : 32 + i;
    },
    // HWCAP_IMPORTANT: PPC_FEATURE_HAS_ALTIVEC | PPC_FEATURE_HAS_DFP (hwcap bits 28 and 10).
    hwcapImportant: bits(28, 10),
  }),
  riscv64: profile({
    debianArch: 'riscv64', ...noX86,
    elfFamily: 'riscv',
    interpreters: [
      '/lib/ld-linux-riscv64-lp64d.so.1', '/lib/ld-linux-riscv64-lp64d.so.1', '/lib/ld-linux-riscv64-lp64.so.1',
    ].map((n) => [n, L6] as const),
    stringHwcap: none, stringPlatform: none, hwcapImportant: 0n,
  }),
  // sysdeps/unix/sysv/linux/mips/mips64/ldconfig.h ("/lib/" LD_SO is /lib/ld.so.1); mips has no
  // hwcaps, only the platforms of sysdeps/mips/dl-procinfo.c.
  mips64el: profile({
    debianArch: 'mips64el', ...noX86, elfFamily: 'mips',
    interpreters: ['/lib/ld.so.1', '/lib32/ld.so.1', '/lib64/ld.so.1'].map((n) => [n, L6] as const),
    stringHwcap: none, stringPlatform: table(MIPS_PLATFORMS), hwcapImportant: 0n,
  }),
  // o32 takes sysdeps/generic/ldconfig.h: only "/lib/ld.so.1", libc.so.6 and libm.so.6.
  mipsel: profile({
    debianArch: 'mipsel', ...noX86, elfFamily: 'mips',
    interpreters: [['/lib/ld.so.1', L6]],
    knownLibs: LIBS6.slice(0, 2),
    stringHwcap: none, stringPlatform: table(MIPS_PLATFORMS), hwcapImportant: 0n,
  }),
  // glibc ≥ 2.37 only (loong64 came with trixie's glibc): no interpreter table, no hwcaps.
  loong64: profile({
    debianArch: 'loong64', ...noX86, elfFamily: 'loongarch',
    interpreters: [], stringHwcap: none, stringPlatform: none, hwcapImportant: 0n,
  }),
};

/**
 * The ldconfig profile of a Debian architecture.
 *
 * @example
 * archProfile('armhf').triplet; // 'arm-linux-gnueabihf'
 */
export function archProfile(debianArch: string): ArchProfile {
  const p = PROFILES[debianArch];
  if (p === undefined) {
    throw new CrossrootError('INSTALL_LDCONFIG_ARCH', `no ld.so.cache support for architecture ${debianArch}`);
  }
  return p;
}

/** The architectures `archProfile` knows. */
export const LDCONFIG_ARCHES: readonly string[] = Object.keys(PROFILES);
