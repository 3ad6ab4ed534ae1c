// /etc/ld.so.cache for a foreign root, as the target's own `ldconfig` (glibc 2.36 of bookworm,
// 2.41 of trixie, 2.43 of forky/sid) writes it inside the root — elf/ldconfig.c
// parse_conf/add_dir_1/search_dir. Since 2.37 (commits 8ee878592c, b78ff5a25d, 2aa0974d25):
// no PATH=TYPE in ld.so.conf, no legacy hwcap subdirectories, temporary files skipped.
// Host `ldconfig -r` cannot read another architecture's libraries, so crossroot does this itself.
import { closeSync, lstatSync, openSync, readlinkSync, statSync } from 'node:fs';
import { lstat, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CrossrootError } from '../../errors.js';
import { archProfile, FLAG, type ArchProfile } from './arch-profile.js';
import { buildCacheFile, libcmp, type CacheEntry } from './cache-file.js';
import { classifyLibrary, fileBytes, libc4Soname, type GlibcLdconfig } from './elf-library.js';

const MAX_SYMLINKS = 40;

/**
 * Resolves PATH (absolute inside the root, or relative to its `/`) the way the kernel would
 * inside a chroot: absolute link targets restart at the root, `..` stops there. Returns the host
 * path, or undefined where the path does not exist (or loops).
 */
async function resolveInRoot(root: string, path: string): Promise<string | undefined> {
  const pending = path.split('/').filter((c) => c !== '' && c !== '.');
  const done: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const c = pending.shift()!;
    if (c === '..') {
      done.pop();
      continue;
    }
    const host = join(root, ...done, c);
    // Synchronous calls: a thread-pool hop per path component cost more than the calls.
    let st;
    try {
      st = lstatSync(host, { throwIfNoEntry: false });
    } catch {
      return undefined;
    }
    if (st === undefined) return undefined;
    if (st.isSymbolicLink()) {
      if (++links > MAX_SYMLINKS) return undefined;
      const target = readlinkSync(host);
      if (target.startsWith('/')) done.length = 0;
      pending.unshift(...target.split('/').filter((x) => x !== '' && x !== '.'));
      continue;
    }
    if (pending.length > 0 && !st.isDirectory()) return undefined;
    done.push(c);
  }
  return join(root, ...done);
}

interface DirEntry {
  /** The path as configured (not canonicalized): it is what the cache records. */
  path: string;
  flag: number;
  id: string;
  hwcaps: string | undefined;
}

/** Everything one ldconfig run collects before save_cache. */
class Scan {
  readonly dirs: DirEntry[] = [];
  readonly entries: CacheEntry[] = [];
  readonly hwcapsNames: string[] = [];

  constructor(
    readonly root: string,
    readonly arch: ArchProfile,
    readonly glibc: GlibcLdconfig,
  ) {}

  async statId(path: string): Promise<string | undefined> {
    const host = await resolveInRoot(this.root, path);
    if (host === undefined) return undefined;
    const st = await stat(host, { bigint: true }).catch(() => undefined);
    return st === undefined ? undefined : `${st.dev}:${st.ino}`;
  }

  /** add_single_dir: a directory already listed (same device and inode) only updates its flag. */
  addSingleDir(e: DirEntry): boolean {
    const dup = this.dirs.find((d) => d.id === e.id);
    if (dup !== undefined) {
      dup.flag = e.flag;
      return false;
    }
    this.dirs.push(e);
    return true;
  }

  /** add_dir_1: "PATH[=TYPE]", trailing blanks and slashes dropped, missing directories ignored. */
  async addDir(line: string): Promise<void> {
    let path = line;
    let flag: number = this.glibc.libc6Only ? FLAG.ELF_LIBC6 : FLAG.ANY;
    const eq = this.glibc.libc6Only ? -1 : path.indexOf('=');
    if (eq >= 0) {
      const type = path.slice(eq + 1);
      path = path.slice(0, eq);
      flag = ({ libc4: FLAG.LIBC4, libc5: FLAG.ELF_LIBC5, libc6: FLAG.ELF_LIBC6, glibc2: FLAG.ELF_LIBC6 } as Record<string, number>)[type] ?? FLAG.ANY;
    }
    path = path.replace(/[ \t\n\v\f\r]+$/, '').replace(/\/+$/, '');
    if (path === '') return;
    const id = await this.statId(path);
    if (id === undefined) return;
    if (this.addSingleDir({ path, flag, id, hwcaps: undefined })) await this.addGlibcHwcaps(path, flag);
  }

  /** add_glibc_hwcaps_subdirectories: each directory under PATH/glibc-hwcaps (no nesting). */
  async addGlibcHwcaps(path: string, flag: number): Promise<void> {
    const host = await resolveInRoot(this.root, `${path}/glibc-hwcaps`);
    if (host === undefined) return;
    const names = await readdir(host, { withFileTypes: true }).catch(() => undefined);
    if (names === undefined) return;
    for (const d of sortDirents(names)) {
      if (d.name.startsWith('.') || d.isFile() || d.name.includes(':')) continue;
      const sub = `${path}/glibc-hwcaps/${d.name}`;
      const subHost = await resolveInRoot(this.root, sub);
      if (subHost === undefined) continue;
      const st = await stat(subHost, { bigint: true }).catch(() => undefined);
      if (st === undefined || !st.isDirectory()) continue;
      // new_glibc_hwcaps_subdirectory interns the name whether or not a library follows.
      this.hwcapsNames.push(d.name);
      this.addSingleDir({ path: sub, flag, id: `${st.dev}:${st.ino}`, hwcaps: d.name });
    }
  }

  isHwcapPlatform(name: string): boolean {
    if (this.glibc.libc6Only) return false;
    const idx = this.arch.stringHwcap(name);
    if (idx !== -1 && idx < 32 && ((1n << BigInt(idx)) & this.arch.hwcapImportant) !== 0n) return true;
    if (this.arch.stringPlatform(name) !== -1) return true;
    return name === 'tls';
  }

  /** path_hwcap: hwcap bits of the trailing hwcap/platform/"tls" components of a path. */
  pathHwcap(path: string): bigint {
    if (this.glibc.libc6Only) return 0n;
    const parts = path.split('/');
    let hwcap = 0n;
    while (parts.length > 1) {
      const last = parts[parts.length - 1]!;
      let h = this.arch.stringHwcap(last);
      if (h === -1) {
        h = this.arch.stringPlatform(last);
        if (h === -1) {
          if (last === 'tls') h = 63;
          else break;
        }
      }
      hwcap = (hwcap + (1n << BigInt(h))) & 0xffffffffffffffffn;
      parts.pop();
    }
    return hwcap;
  }

  /** search_dir: pick one file per soname in a directory and add it to the cache. */
  async searchDir(entry: DirEntry): Promise<void> {
    const hwcap = entry.hwcaps === undefined ? this.pathHwcap(entry.path) : 0n;
    const dirHost = await resolveInRoot(this.root, entry.path);
    if (dirHost === undefined) return;
    const listing = await readdir(dirHost, { withFileTypes: true }).catch(() => undefined);
    if (listing === undefined) return;
    type Dlib = { name: string; soname: string; flag: number; isLink: boolean; isaLevel: number };
    const dlibs: Dlib[] = [];
    for (const d of sortDirents(listing)) {
      const name = d.name;
      if (!d.isSymbolicLink() && !d.isFile() && !d.isDirectory()) continue;
      if (!isDso(name) && (d.isFile() || !(entry.hwcaps === undefined && this.isHwcapPlatform(name)))) continue;
      if (name.endsWith('.#prelink#') || /\.#prelink#\.[^]{6}$/.test(name)) continue;
      // skip_dso_based_on_name (2.37 and later): rpm's and dpkg's temporary files.
      if (this.glibc.libc6Only && (name.includes(';') || name.endsWith('.dpkg-new') || name.endsWith('.dpkg-tmp'))) continue;
      const filePath = `${entry.path}/${name}`;
      let isLink = d.isSymbolicLink();
      const target = await resolveInRoot(this.root, filePath);
      if (target === undefined) continue; // stale symlink
      let st;
      try {
        st = statSync(target, { bigint: true, throwIfNoEntry: false });
      } catch {
        continue;
      }
      if (st === undefined) continue;
      if (entry.hwcaps === undefined && st.isDirectory() && this.isHwcapPlatform(name)) {
        this.addSingleDir({ path: filePath, flag: entry.flag, id: `${st.dev}:${st.ino}`, hwcaps: undefined });
        continue;
      }
      if (!isLink && !st.isFile()) continue;
      if (!st.isFile()) continue; // fopen/mmap of a directory or device fails: process_file skips it
      // Read as far as looked at (headers, dynamic section, names), not the whole library.
      const fd = openSync(target, 'r');
      let info;
      try {
        info = classifyLibrary(fileBytes(fd, Number(st.size)), name, this.arch, this.glibc);
      } finally {
        closeSync(fd);
      }
      if (info === undefined) continue;
      let soname = info.soname ?? ((info.flag & FLAG.TYPE_MASK) === FLAG.LIBC4 ? libc4Soname(name) : name);
      // A link counts as a link only if it is named after the soname, or is the ld(1) .so link.
      if (isLink && name !== soname) {
        if (!(name.endsWith('.so') && soname.startsWith(name))) isLink = false;
      }
      if (isLink) soname = name;
      let flag = info.flag;
      if (flag === FLAG.ELF && (entry.flag === FLAG.ELF_LIBC5 || entry.flag === FLAG.ELF_LIBC6)) flag = entry.flag;

      const known = dlibs.find((x) => x.soname === soname);
      if (known === undefined) {
        dlibs.unshift({ name, soname, flag, isLink, isaLevel: info.isaLevel });
        continue;
      }
      const newer =
        (!isLink && known.isLink) ||
        (isLink === known.isLink &&
          libcmp(Buffer.from(known.name, 'latin1'), Buffer.from(name, 'latin1'), this.arch.signedChar) < 0);
      if (!newer) continue;
      if (known.flag !== flag) {
        if (known.flag === FLAG.ELF && (flag === FLAG.ELF_LIBC5 || flag === FLAG.ELF_LIBC6)) known.flag = flag;
        else if ((known.flag === FLAG.ELF_LIBC5 || known.flag === FLAG.ELF_LIBC6) && flag === FLAG.ELF) known.flag = flag;
      }
      known.name = name;
      known.isLink = isLink;
      known.isaLevel = info.isaLevel;
    }
    for (const l of dlibs) {
      const filename = entry.hwcaps === undefined ? l.soname : l.name;
      this.entries.push({
        lib: l.soname,
        path: `${entry.path}/${filename}`,
        flags: l.flag,
        isaLevel: l.isaLevel,
        hwcap,
        hwcaps: entry.hwcaps,
      });
    }
  }

  /** parse_conf: '#' comments, `include GLOB...`, `hwcap` lines ignored, anything else a directory. */
  async parseConf(file: string): Promise<void> {
    const host = await resolveInRoot(this.root, file);
    if (host === undefined) return;
    const text = await readFile(host, 'latin1').catch(() => undefined);
    if (text === undefined) return;
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    for (const raw of lines) {
      const line = raw.split('#')[0]!.replace(/^[ \t\n\v\f\r]+/, '');
      if (line === '') continue;
      if (line.startsWith('include') && (line[7] === ' ' || line[7] === '\t')) {
        for (const pattern of line.slice(8).split(/[ \t]/)) {
          if (pattern === '') continue;
          const abs = pattern.startsWith('/') || !file.includes('/') ? pattern : `${dirnameOf(file)}/${pattern}`;
          for (const match of await this.glob(abs)) await this.parseConf(match);
        }
      } else if (/^hwcap[ \t]/i.test(line)) {
        continue;
      } else {
        await this.addDir(line);
      }
    }
  }

  /** glob(3) without flags, in the C locale: sorted, hidden names only by an explicit '.'. */
  async glob(pattern: string): Promise<string[]> {
    const parts = pattern.split('/');
    let paths = [pattern.startsWith('/') ? '' : '.'];
    for (let i = pattern.startsWith('/') ? 1 : 0; i < parts.length; i++) {
      const part = parts[i]!;
      if (part === '') continue;
      const next: string[] = [];
      for (const base of paths) {
        if (!/[*?[]/.test(part)) {
          next.push(`${base}/${part}`);
          continue;
        }
        const host = await resolveInRoot(this.root, base === '' ? '/' : base);
        if (host === undefined) continue;
        const names = await readdir(host).catch(() => [] as string[]);
        const re = fnmatchRegExp(part);
        for (const n of names) if (re.test(n) && (!n.startsWith('.') || part.startsWith('.'))) next.push(`${base}/${n}`);
      }
      paths = next;
    }
    const existing: string[] = [];
    for (const p of paths) {
      const path = p.startsWith('./') ? p.slice(2) : p;
      if ((await resolveInRoot(this.root, path)) !== undefined) existing.push(path);
    }
    return existing.sort((a, b) => Buffer.compare(Buffer.from(a, 'latin1'), Buffer.from(b, 'latin1')));
  }
}

function dirnameOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
}

function fnmatchRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') re += '[^]*';
    else if (c === '?') re += '[^]';
    else if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close < 0) re += '\\[';
      else {
        let body = glob.slice(i + 1, close);
        if (body.startsWith('!')) body = `^${body.slice(1)}`;
        re += `[${body.replace(/\\/g, '\\\\')}]`;
        i = close;
      }
    } else if (c === '\\' && i + 1 < glob.length) re += `\\${glob[++i]}`;
    else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** dl-is_dso.h `_dl_is_dso`: lib*.so*, ld-*.so*, ld.so.*, ld64.so.*. */
export function isDso(name: string): boolean {
  return (
    ((name.startsWith('lib') || name.startsWith('ld-')) && name.includes('.so')) ||
    name.startsWith('ld.so.') ||
    name.startsWith('ld64.so.')
  );
}

/** readdir order is the file system's; ldconfig's result only depends on it in ties, so sort. */
function sortDirents<T extends { name: string }>(list: T[]): T[] {
  return list.sort((a, b) => Buffer.compare(Buffer.from(a.name, 'latin1'), Buffer.from(b.name, 'latin1')));
}

/**
 * The generator string compiled into the target's ldconfig ("ldconfig " PKGVERSION RELEASE
 * " release version " VERSION): read from the binary itself, so it matches its exact build.
 */
export async function ldconfigGenerator(root: string): Promise<string> {
  for (const candidate of ['/sbin/ldconfig', '/usr/sbin/ldconfig']) {
    const host = await resolveInRoot(root, candidate);
    if (host === undefined) continue;
    const bin = await readFile(host);
    const marker = bin.indexOf(' release version ');
    if (marker < 0) continue;
    let start = marker;
    while (start > 0 && bin[start - 1] !== 0) start--;
    let end = marker;
    while (end < bin.length && bin[end] !== 0) end++;
    const s = bin.subarray(start, end).toString('latin1');
    if (s.startsWith('ldconfig ')) return s;
  }
  throw new CrossrootError('INSTALL_LDCONFIG_GENERATOR', 'cannot find the generator string in sbin/ldconfig', {
    path: root,
  });
}

/** Which ldconfig rules the generator's "release version X.Y" means (2.37 dropped the old types). */
export function glibcOf(generator: string): GlibcLdconfig {
  const m = / release version (\d+)\.(\d+)/.exec(generator);
  if (m === null) {
    throw new CrossrootError('INSTALL_LDCONFIG_GENERATOR', `no glibc version in the ldconfig generator string: ${generator}`);
  }
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return { libc6Only: major > 2 || (major === 2 && minor >= 37) };
}

/**
 * The bytes of ROOT/etc/ld.so.cache that the target's own `ldconfig` would write when run inside
 * ROOT, without running it. Reads ROOT only.
 *
 * @example
 * const bytes = await writeLdSoCache('/srv/roots/bookworm-arm64', 'arm64');
 */
export async function writeLdSoCache(root: string, arch: string): Promise<Buffer> {
  const profile = archProfile(arch);
  const generator = await ldconfigGenerator(root);
  const scan = new Scan(root, profile, glibcOf(generator));
  await scan.parseConf('/etc/ld.so.conf');
  // Debian's build: SLIBDIR and LIBDIR are the multiarch directories, then /lib and /usr/lib.
  for (const dir of [`/lib/${profile.triplet}`, `/usr/lib/${profile.triplet}`, '/lib', '/usr/lib']) {
    await scan.addDir(dir);
  }
  // search_dirs walks a list that legacy hwcap subdirectories are appended to as it goes.
  for (let i = 0; i < scan.dirs.length; i++) await scan.searchDir(scan.dirs[i]!);
  return buildCacheFile({
    entries: scan.entries,
    hwcapsNames: scan.hwcapsNames,
    generator,
    littleEndian: profile.littleEndian,
    signedChar: profile.signedChar,
  });
}

/**
 * Writes ROOT/etc/ld.so.cache (mode 0644) atomically: a temporary file in ROOT/etc, renamed.
 * Refuses an etc/ that is a symlink, so the write cannot leave the root.
 *
 * @example
 * await installLdSoCache('/srv/roots/bookworm-arm64', 'arm64');
 */
export async function installLdSoCache(root: string, arch: string): Promise<void> {
  const bytes = await writeLdSoCache(root, arch);
  const etc = join(root, 'etc');
  const st = await lstat(etc).catch(() => undefined);
  if (st === undefined || !st.isDirectory()) {
    throw new CrossrootError('INSTALL_LDCONFIG_ETC', 'etc is not a directory', { path: etc });
  }
  const final = join(etc, 'ld.so.cache');
  const tmp = join(etc, 'ld.so.cache~');
  await rm(tmp, { force: true });
  const fh = await open(tmp, 'wx', 0o644);
  try {
    await fh.writeFile(bytes);
    await fh.chmod(0o644);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, final);
}
