// Debian architectures — the one table of their facts: GNU triplet, ELF machine and class,
// byte order, qemu-user's binfmt name, Node's name, the merged-/usr links and the ld.so.cache
// flag of the native ABI (dpkg's cputable/ostable, glibc's sysdeps/*/dl-cache.h, mmdebstrap's
// merged-usr hook, qemu's binfmt names).
import { CrossrootError } from '../errors.js';

export interface Architecture {
  /** Debian's name (dpkg --print-architecture). */
  debian: string;
  /** Multiarch triplet: /lib/TRIPLET, /usr/lib/TRIPLET. */
  triplet: string;
  /** ELF e_machine of the architecture's binaries. */
  elfMachine: number;
  /** ELF class (and the word size of its C programs). */
  bits: 32 | 64;
  littleEndian: boolean;
  /** qemu-user's name: /usr/bin/qemu-NAME-static, /proc/sys/fs/binfmt_misc/qemu-NAME. */
  qemu: string;
  /** process.arch when Node runs natively on it. */
  node: string | undefined;
  /** The links of mmdebstrap's merged-usr hook beyond bin, sbin and lib. */
  mergedUsrExtra: readonly string[];
  /** `_DL_CACHE_DEFAULT_ID`: the ld.so.cache flags of the native ABI's libraries. */
  cacheFlags: number;
}

const EM = { I386: 3, MIPS: 8, PPC64: 21, S390: 22, ARM: 40, X86_64: 62, AARCH64: 183, RISCV: 243, LOONGARCH: 258 } as const;

// ld.so.cache flags (sysdeps/generic/ldconfig.h): FLAG_ELF_LIBC6 | the ABI's required bits.
const LIBC6 = 0x0003;

const TABLE: readonly Architecture[] = [
  { debian: 'amd64', triplet: 'x86_64-linux-gnu', elfMachine: EM.X86_64, bits: 64, littleEndian: true, qemu: 'x86_64', node: 'x64', mergedUsrExtra: ['lib32', 'lib64', 'libx32'], cacheFlags: 0x0300 | LIBC6 },
  { debian: 'i386', triplet: 'i386-linux-gnu', elfMachine: EM.I386, bits: 32, littleEndian: true, qemu: 'i386', node: 'ia32', mergedUsrExtra: ['lib64', 'libx32'], cacheFlags: LIBC6 },
  { debian: 'arm64', triplet: 'aarch64-linux-gnu', elfMachine: EM.AARCH64, bits: 64, littleEndian: true, qemu: 'aarch64', node: 'arm64', mergedUsrExtra: [], cacheFlags: 0x0a00 | LIBC6 },
  { debian: 'armhf', triplet: 'arm-linux-gnueabihf', elfMachine: EM.ARM, bits: 32, littleEndian: true, qemu: 'arm', node: 'arm', mergedUsrExtra: [], cacheFlags: 0x0900 | LIBC6 },
  { debian: 'armel', triplet: 'arm-linux-gnueabi', elfMachine: EM.ARM, bits: 32, littleEndian: true, qemu: 'arm', node: undefined, mergedUsrExtra: [], cacheFlags: 0x0b00 | LIBC6 },
  { debian: 's390x', triplet: 's390x-linux-gnu', elfMachine: EM.S390, bits: 64, littleEndian: false, qemu: 's390x', node: 's390x', mergedUsrExtra: ['lib32'], cacheFlags: 0x0400 | LIBC6 },
  { debian: 'ppc64el', triplet: 'powerpc64le-linux-gnu', elfMachine: EM.PPC64, bits: 64, littleEndian: true, qemu: 'ppc64le', node: 'ppc64', mergedUsrExtra: ['lib64'], cacheFlags: 0x0500 | LIBC6 },
  { debian: 'riscv64', triplet: 'riscv64-linux-gnu', elfMachine: EM.RISCV, bits: 64, littleEndian: true, qemu: 'riscv64', node: 'riscv64', mergedUsrExtra: [], cacheFlags: 0x1000 | LIBC6 },
  { debian: 'mips64el', triplet: 'mips64el-linux-gnuabi64', elfMachine: EM.MIPS, bits: 64, littleEndian: true, qemu: 'mips64el', node: 'mips64el', mergedUsrExtra: ['lib32', 'lib64', 'libo32'], cacheFlags: 0x0700 | LIBC6 },
  { debian: 'mipsel', triplet: 'mipsel-linux-gnu', elfMachine: EM.MIPS, bits: 32, littleEndian: true, qemu: 'mipsel', node: 'mipsel', mergedUsrExtra: ['lib32', 'lib64'], cacheFlags: LIBC6 },
  { debian: 'loong64', triplet: 'loongarch64-linux-gnu', elfMachine: EM.LOONGARCH, bits: 64, littleEndian: true, qemu: 'loongarch64', node: 'loong64', mergedUsrExtra: [], cacheFlags: 0x1200 | LIBC6 },
];

/** Every architecture crossroot knows, by Debian name. */
export const ARCHITECTURES: ReadonlyMap<string, Architecture> = new Map(TABLE.map((a) => [a.debian, a]));

/**
 * The facts of a Debian architecture; an architecture not in the table is bad input.
 *
 * @example
 * architecture('mips64el').triplet; // 'mips64el-linux-gnuabi64'
 */
export function architecture(debian: string): Architecture {
  const a = ARCHITECTURES.get(debian);
  if (a === undefined) {
    throw new CrossrootError('RESOLVE_UNKNOWN_ARCH', `unknown architecture ${debian} (known: ${[...ARCHITECTURES.keys()].join(', ')})`);
  }
  return a;
}
