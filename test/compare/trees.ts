// Crafted trees for the compare tests: a base root-like tree, variants of it, and GNU tar to pack them.
import { chmod, link, mkdir, mkdtemp, open, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { endianness } from 'node:os';
import { runBuffer } from '../support/cli.js';

/** Every mtime in a crafted tree (touch -h), so trees differ only where a variant says. */
export const MTIME = 1_000_000_000;

export const IS_ROOT = process.getuid?.() === 0;

/**
 * GNU tar as mmdebstrap runs it (sorted, pax, numeric owners, no atime/ctime), plus
 * `--xattrs`. Owner 0:0 unless `owned` (then the files' own owners, for the owner pair).
 */
export function tarArgs(dir: string, out: string, opts: { owned?: boolean; extra?: string[] } = {}): string[] {
  return [
    '--sort=name',
    '--format=pax',
    '--pax-option=delete=atime,delete=ctime',
    '--numeric-owner',
    '--xattrs',
    ...(opts.owned ? [] : ['--owner=0', '--group=0']),
    ...(opts.extra ?? []),
    '-C',
    dir,
    '-cf',
    out,
    '.',
  ];
}

export async function tarTree(dir: string, out: string, opts: { owned?: boolean; extra?: string[] } = {}): Promise<void> {
  await runBuffer('tar', tarArgs(dir, out, opts));
}

/** Seeded bytes (xorshift32, little-endian words): the same on every host. */
export function seeded(size: number, seed: number): Buffer {
  const buf = Buffer.alloc((size + 3) & ~3);
  const words = new Uint32Array(buf.buffer, buf.byteOffset, buf.length / 4);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    words[i] = x;
  }
  if (endianness() === 'BE') buf.swap32();
  return buf.subarray(0, size);
}

export async function setMtimes(dir: string, mtime = MTIME): Promise<void> {
  await runBuffer('find', [dir, '-exec', 'touch', '-h', '-d', `@${mtime}`, '{}', '+']);
}

export async function setXattr(path: string, name: string, value: string): Promise<void> {
  await runBuffer('setfattr', ['-n', name, '-v', value, path]);
}

const MOTD = Array.from({ length: 20 }, (_, i) => `line ${i + 1} of the message of the day\n`).join('');

/**
 * The base tree: text and binary files, a symlink, a hardlink pair, an xattr, and (as root)
 * a character device. Ends with every mtime at MTIME.
 */
export async function makeBase(dir: string): Promise<void> {
  for (const d of ['etc', 'usr/bin', 'usr/lib', 'usr/share/doc', 'var', 'dev']) await mkdir(join(dir, d), { recursive: true });
  await writeFile(join(dir, 'etc/hostname'), 'crossroot\n');
  await writeFile(join(dir, 'etc/motd'), MOTD);
  await writeFile(join(dir, 'etc/os-release'), 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n');
  await writeFile(join(dir, 'usr/bin/tool'), seeded(100_000, 1));
  await writeFile(join(dir, 'usr/lib/libx.so.1'), seeded(10_000, 2));
  await link(join(dir, 'usr/lib/libx.so.1'), join(dir, 'usr/lib/libx.so.1.0'));
  await writeFile(join(dir, 'usr/share/doc/README'), 'Read me.\n');
  await symlink('usr/bin', join(dir, 'bin'));
  await writeFile(join(dir, 'var/data'), 'data\n');
  await setXattr(join(dir, 'var/data'), 'user.crossroot', 'base');
  if (IS_ROOT) await runBuffer('mknod', [join(dir, 'dev/null'), 'c', '1', '3']);
  for (const f of ['etc/hostname', 'etc/motd', 'etc/os-release', 'usr/share/doc/README', 'var/data']) await chmod(join(dir, f), 0o644);
  await chmod(join(dir, 'usr/bin/tool'), 0o755);
  await setMtimes(dir);
}

/** A copy of `from` (hardlinks, xattrs, devices and times kept: cp -a). */
export async function copyTree(from: string, to: string): Promise<void> {
  await runBuffer('cp', ['-a', from, to]);
}

/** Overwrites one byte of a file in place. */
export async function pokeByte(path: string, offset: number, value: number): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    await fh.write(Buffer.from([value]), 0, 1, offset);
  } finally {
    await fh.close();
  }
}

export async function workDir(prefix: string): Promise<string> {
  // /var/tmp, not /tmp: a tmpfs /tmp may refuse user xattrs
  await mkdir('/var/tmp', { recursive: true });
  return mkdtemp(join('/var/tmp', `crossroot-${prefix}-`));
}

export async function removeDir(dir: string): Promise<void> {
  if (dir !== '') await rm(dir, { recursive: true, force: true });
}
