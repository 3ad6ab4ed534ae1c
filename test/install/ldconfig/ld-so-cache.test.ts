// writeLdSoCache against the real thing: the etc/ld.so.cache that the target's own ldconfig
// (qemu-user for foreign arches) wrote inside real roots — bookworm's glibc 2.36, trixie's 2.41
// for riscv64 — and the one it writes after we add awkward libraries (duplicate sonames, dev
// links, hwcaps, conf.d dirs, package managers' temporary files).
import { execFile, spawnSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { archProfile } from '../../../src/install/ldconfig/arch-profile.js';
import { installLdSoCache, writeLdSoCache } from '../../../src/install/ldconfig/ld-so-cache.js';
import { LDCONFIG_ORACLE_DIR, ldconfigOracleRoot, runTargetLdconfig } from '../../support/ldconfig-oracle.js';

const exec = promisify(execFile);
// ARCH or SUITE:ARCH (default suite bookworm).
const CELLS = (process.env.CROSSROOT_LDCONFIG_ARCHES ?? 'amd64 i386 arm64 armhf s390x ppc64el armel mips64el mipsel trixie:riscv64 sid:loong64')
  .split(' ')
  .map((c) => (c.includes(':') ? (c.split(':') as [string, string]) : (['bookworm', c] as [string, string])));
// qemu-user-static 7.2 (bookworm's) stops sid's loong64 ldconfig with SIGILL: its ldconfig runs
// through the qemu-user of sid's own archive, registered in a binfmt_misc of the test's own
// (a user namespace mapping every uid), which only root can set up.
const NO_ORACLE: Record<string, string> = process.getuid?.() === 0 ? {} : {
  loong64: 'not root: the qemu-user that runs loong64 here (from the archive) is registered in a user namespace mapping every uid, which needs root',
};
// An amd64 kernel runs i386 binaries itself (IA32 emulation), and Debian's qemu-user-static ships
// no binfmt entry for i386 on amd64: a kernel without it (this machine's 6.18, arch-test: "not
// supported on this machine/kernel") has no way to run i386's ldconfig.
if (process.arch === 'x64' && spawnSync('arch-test', ['i386']).status !== 0) {
  NO_ORACLE.i386 = "this amd64 kernel runs no i386 binaries (`arch-test i386` fails) and Debian's qemu-user-static registers none for amd64";
}
const work: string[] = [];
afterAll(async () => {
  for (const w of work) await rm(w, { recursive: true, force: true });
});

/** First differing offset, for a readable failure instead of two 3 KiB dumps. */
function firstDifference(a: Buffer, b: Buffer): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) return i;
  return -1;
}

/** A real library of the root to copy around under other names. */
async function someLibrary(libdir: string, prefix: string): Promise<string> {
  const name = (await readdir(libdir)).filter((n) => n.startsWith(prefix) && /\.so\.\d+\.\d/.test(n)).sort()[0];
  if (name === undefined) throw new Error(`no ${prefix}* in ${libdir}`);
  return join(libdir, name);
}

describe.each(CELLS)('ld.so.cache for %s %s', (suite, arch) => {
  const skip = NO_ORACLE[arch];
  it.skipIf(skip !== undefined)(`is byte-identical to the cache the target ldconfig left in a real root (mmdebstrap's; crossroot reference's where mmdebstrap has no qemu)${skip === undefined ? '' : ` — skipped: ${skip}`}`, { timeout: 1_200_000 }, async () => {
    const root = await ldconfigOracleRoot(arch, suite);
    const mine = await writeLdSoCache(root, arch);
    const real = await readFile(join(root, 'etc', 'ld.so.cache'));
    expect(firstDifference(mine, real)).toBe(-1);
  });

  it.skipIf(skip !== undefined)(`matches the target ldconfig after adding awkward libraries${skip === undefined ? '' : ` — skipped: ${skip}`}`, { timeout: 1_200_000 }, async () => {
    const base = await ldconfigOracleRoot(arch, suite);
    await mkdir(LDCONFIG_ORACLE_DIR, { recursive: true });
    const w = await mkdtemp(join(LDCONFIG_ORACLE_DIR, `scratch-${arch}-`));
    work.push(w);
    const root = join(w, 'root');
    await exec('cp', ['-a', '--reflink=auto', base, root]);
    const triplet = archProfile(arch).triplet;
    const libdir = join(root, 'usr', 'lib', triplet);
    const libz = await someLibrary(libdir, 'libz.so.1');
    const pcre = await someLibrary(libdir, 'libpcre2-8.so.0');

    // A conf.d file: a padded line with a type, a trailing slash, a missing dir, comments, hwcap.
    await writeFile(
      join(root, 'etc', 'ld.so.conf.d', 'zz-crossroot.conf'),
      '/opt/extra=libc6   \n/opt/typed=libc5\n# nothing\n\t/opt/extra/ \n/opt/missing\nhwcap 0 foo\n/usr/local/lib\ninclude /etc/ld.so.conf.d/sub/*.conf\n',
    );
    await mkdir(join(root, 'etc', 'ld.so.conf.d', 'sub'), { recursive: true });
    await writeFile(join(root, 'etc', 'ld.so.conf.d', 'sub', 'a.conf'), '/opt/sub\n');
    const extra = join(root, 'opt', 'extra');
    await mkdir(extra, { recursive: true });
    await mkdir(join(root, 'opt', 'sub'), { recursive: true });
    await cp(libz, join(extra, 'libz.so.1.99.0')); // duplicate soname, other directory
    await cp(libz, join(extra, 'libz.so.1.100.0')); // same soname twice in one directory: numeric compare
    await cp(pcre, join(extra, 'libweird-name.so')); // soname differs from its name
    await symlink('libz.so.1.99.0', join(extra, 'libz.so')); // the ld(1) link: its own entry
    await symlink('libweird-name.so', join(extra, 'libpcre-alias.so.7')); // link not named after its soname
    await symlink('/nonexistent/libgone.so.1', join(extra, 'libgone.so.1')); // stale link
    await cp(libz, join(extra, 'notalib.so.1')); // not lib*/ld-* : ignored
    await writeFile(join(extra, 'libscript.so'), '/* GNU ld script */\nGROUP ( libz.so.1 )\n');
    await writeFile(join(extra, 'libtiny.so.1'), 'x');
    await cp(libz, join(extra, 'libz.so.1.2.#prelink#.abcdef'));
    await cp(libz, join(extra, 'libz.so.1.200.0.dpkg-new')); // dpkg's temporary names (skipped since 2.37)
    await cp(pcre, join(extra, 'libtmp.so.3.dpkg-tmp'));
    await cp(pcre, join(extra, 'librpm.so.4;5f00aa')); // rpm's
    await cp(libz, join(extra, 'libz.so.1.50.0=x')); // a name with '='
    await mkdir(join(root, 'opt', 'typed'), { recursive: true });
    await cp(libz, join(root, 'opt', 'typed', 'libz.so.1.4'));
    await cp(pcre, join(root, 'opt', 'sub', 'libpcre2-8.so.0.0.1'));
    await mkdir(join(root, 'usr', 'local', 'lib'), { recursive: true });
    await cp(libz, join(root, 'usr', 'local', 'lib', 'libz.so.1.3'));
    // glibc-hwcaps: a used subdirectory, an empty one (still interned), a file, a hidden one.
    for (const sub of ['x86-64-v3', 'power10', 'empty', '.hidden']) await mkdir(join(libdir, 'glibc-hwcaps', sub), { recursive: true });
    await cp(libz, join(libdir, 'glibc-hwcaps', 'x86-64-v3', 'libz.so.1.2.3'));
    await cp(libz, join(libdir, 'glibc-hwcaps', 'power10', 'libz.so.1'));
    await writeFile(join(libdir, 'glibc-hwcaps', 'file'), '');
    // Legacy hwcap subdirectories: "tls" everywhere, plus each arch's important names.
    for (const sub of ['tls', 'x86_64', 'i686', 'neon', 'vfp', 'atomics', 'z13', 'vx', 'altivec', 'power9', 'octeon', 'notahwcap']) {
      await mkdir(join(libdir, sub), { recursive: true });
      await cp(libz, join(libdir, sub, 'libz.so.1'));
    }

    await runTargetLdconfig(root, arch, suite);
    const real = await readFile(join(root, 'etc', 'ld.so.cache'));
    const mine = await writeLdSoCache(root, arch);
    expect(firstDifference(mine, real)).toBe(-1);

    // And installLdSoCache puts the same bytes in place, mode 0644, atomically.
    await rm(join(root, 'etc', 'ld.so.cache'));
    await installLdSoCache(root, arch);
    expect((await readFile(join(root, 'etc', 'ld.so.cache'))).equals(real)).toBe(true);
    expect((await stat(join(root, 'etc', 'ld.so.cache'))).mode & 0o7777).toBe(0o644);
  });
});
