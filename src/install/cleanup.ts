// Root cleanup before output — mmdebstrap 1.3.5's `run_cleanup` (3107-3267) as a function of the
// root, including the effect of the two apt calls it makes (apt 2.6 `pkgAcquire::GetLock`/`Clean`,
// `apt-get clean`, `pkgCacheFile::RemoveCaches`) rather than running apt.

import { chmod, chown, lstat, mkdir, open, readdir, readFile, rmdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { CrossrootError } from '../errors.js';

/** Options of `cleanupRoot`. */
export interface CleanupOptions {
  /**
   * The uid that owns `var/lib/apt/lists/partial` and `var/cache/apt/archives/partial` (group 0,
   * mode 0700): apt's `APT::Sandbox::User`, `_apt`.
   *
   * Where mmdebstrap's value comes from: its cleanup runs `apt-get update` (no sources) and
   * `apt-get clean` on the **host**, with `APT_CONFIG` pointing `Dir` at the root — in root mode
   * too, apt never runs inside the chroot for this. apt's `SetupAPTPartialDirectory` then does
   * `chown(partial, getpwnam("_apt")->pw_uid, getgrnam("root")->gr_gid)` and `chmod 0700`,
   * so the uid is the **host's** `_apt`: 42 on this bookworm host (base-passwd ≥ 3.6.0 has
   * `_apt:*:42:65534` in passwd.master), something else (often 100+) on a host whose `_apt` was
   * made by adduser in an older release. With apt's sandbox disabled (mmdebstrap 2293-2337
   * appends `APT::Sandbox::User "root"`) there is no chown: 0.
   *
   * For crossroot: to match mmdebstrap on a given host, pass `passwdUid('/etc/passwd', '_apt')`;
   * for output that does not depend on the host, pass the target suite's own `_apt` — from the
   * root's `etc/passwd`, or `usr/share/base-passwd/passwd.master` (42 for bookworm on).
   */
  aptSandboxUid: number;
}

/** The files mmdebstrap deletes "to make output reproducible" (3182-3197), skipped if absent. */
export const REPRODUCIBILITY_REMOVALS: readonly string[] = [
  'var/log/dpkg.log',
  'var/log/apt/history.log',
  'var/log/apt/term.log',
  'var/log/alternatives.log',
  'var/cache/ldconfig/aux-cache',
  'var/log/apt/eipp.log.xz',
  'var/lib/dbus/machine-id',
];

/**
 * Cleans a built root the way mmdebstrap does before it writes the output. Afterwards:
 * - `var/lib/apt/lists/` holds only `lock` (0640 when created) and `partial/` (0700,
 *   `aptSandboxUid`:0, emptied of files); `auxfiles/` is gone;
 * - `var/cache/apt/archives/` likewise holds `lock` and `partial/`; `var/cache/apt/pkgcache.bin`
 *   and `srcpkgcache.bin` are gone;
 * - `etc/apt/apt.conf.d/00mmdebstrap` and the `REPRODUCIBILITY_REMOVALS` are gone;
 * - `etc/machine-id`, if it existed, is an empty file (0644, owned by the caller);
 * - `run/` holds only `lock`, `tmp/` nothing.
 *
 * Like apt's `Clean`, subdirectories of the lists and archives directories other than those
 * named above are left alone (apt `unlinkat`s every entry and only warns on directories).
 * Every path is checked not to pass through a symlink, so a hostile root cannot point the
 * removals at the host; a removal that would cross into another file system fails, as
 * mmdebstrap's `rm --one-file-system` does.
 *
 * @example
 * await cleanupRoot('/tmp/root', { aptSandboxUid: (await passwdUid('/etc/passwd', '_apt')) ?? 0 });
 */
export async function cleanupRoot(root: string, opts: CleanupOptions): Promise<void> {
  const uid = opts.aptSandboxUid;
  if (!Number.isSafeInteger(uid) || uid < 0 || uid > 0xfffffffe) {
    throw new CrossrootError('USAGE_APT_SANDBOX_UID', `${uid} is not a uid`);
  }
  const rootDev = (await lstat(root)).dev;
  const r = new Rooted(root, rootDev);

  // cleanup/apt: `apt-get update` with no sources, `apt-get clean`, `rm -r lists/auxfiles`.
  await aptDirectory(r, 'var/lib/apt/lists', uid);
  await aptDirectory(r, 'var/cache/apt/archives', uid);
  await removeCaches(r, 'var/cache/apt');
  await r.removeTree('var/lib/apt/lists/auxfiles');

  // cleanup/mmdebstrap: its apt configuration for the build.
  await r.unlinkIfPresent('etc/apt/apt.conf.d/00mmdebstrap');

  // cleanup/reproducible.
  for (const f of REPRODUCIBILITY_REMOVALS) await r.unlinkIfPresent(f);
  if (await r.unlinkIfPresent('etc/machine-id')) {
    // machine-id(5): an image's /etc/machine-id should be empty. Written under mmdebstrap's
    // umask 022, so 0644 whatever this process's umask is.
    const fh = await open(r.path('etc/machine-id'), 'wx', 0o644);
    await fh.chmod(0o644);
    await fh.close();
  }

  // cleanup/run: everything but run/lock (var/lock points to it, Policy 9.1.4).
  await r.emptyDirectory('run', new Set(['lock']));
  // cleanup/tmp.
  await r.emptyDirectory('tmp', new Set());
}

/**
 * The uid of `user` in a passwd(5) file, or `undefined` when the user or the file is absent.
 *
 * @example
 * await passwdUid('/etc/passwd', '_apt'); // 42 on a bookworm host
 */
export async function passwdUid(passwdFile: string, user: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(passwdFile, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields[0] === user && fields.length >= 3 && /^\d+$/.test(fields[2]!)) return Number(fields[2]);
  }
  return undefined;
}

/** Entries apt's `pkgAcquire::Clean` never removes. */
const CLEAN_KEEPS = new Set(['lock', 'partial', 'auxfiles', 'lost+found']);

/**
 * A lists or archives directory as apt leaves it: the directory (0755 if created), `partial/`
 * set up as `SetupAPTPartialDirectory` does, `lock` opened `O_CREAT` 0640, then `Clean` of the
 * directory and of `partial/`.
 */
async function aptDirectory(r: Rooted, dir: string, uid: number): Promise<void> {
  await r.mkdirs(dir);
  const partial = `${dir}/partial`;
  await r.mkdirs(partial);
  try {
    await chown(r.path(partial), uid, 0);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CrossrootError('INSTALL_CLEANUP', `cannot give it to uid ${uid}: ${code}${code === 'EPERM' ? ' (that needs root)' : ''}`, {
      path: partial,
    });
  }
  await chmod(r.path(partial), 0o700);
  const lock = r.path(`${dir}/lock`);
  if ((await lstat(lock).catch(() => undefined)) === undefined) {
    const fh = await open(lock, 'wx', 0o640);
    await fh.chmod(0o640);
    await fh.close();
  }
  await clean(r, dir);
  await clean(r, partial);
}

/** apt's `pkgAcquire::Clean`: unlink every non-directory entry but the kept names. */
async function clean(r: Rooted, dir: string): Promise<void> {
  for (const name of await readdir(r.path(dir))) {
    if (CLEAN_KEEPS.has(name)) continue;
    const st = await lstat(r.path(`${dir}/${name}`));
    if (!st.isDirectory()) await unlink(r.path(`${dir}/${name}`));
  }
}

/** `pkgCacheFile::RemoveCaches`: `pkgcache.bin`, `srcpkgcache.bin` and their `.XXXX` temporaries. */
async function removeCaches(r: Rooted, dir: string): Promise<void> {
  const st = await lstat(r.path(dir)).catch(() => undefined);
  if (st === undefined || !st.isDirectory()) return;
  for (const name of await readdir(r.path(dir))) {
    if (!/^(src)?pkgcache\.bin(\..*)?$/s.test(name)) continue;
    if (!(await lstat(r.path(`${dir}/${name}`))).isDirectory()) await unlink(r.path(`${dir}/${name}`));
  }
}

/** Paths under a root that never pass through a symlink or leave its file system. */
class Rooted {
  readonly #root: string;
  readonly #dev: number;

  constructor(root: string, dev: number) {
    this.#root = root;
    this.#dev = dev;
  }

  /** The host path of `rel` (callers check it with #lstat or mkdirs first). */
  path(rel: string): string {
    return join(this.#root, rel);
  }

  /** Throws if a directory component of `rel` (not the last one) is a symlink. */
  async #checkParents(rel: string): Promise<void> {
    const parts = rel.split('/');
    for (let i = 1; i < parts.length; i++) {
      const st = await lstat(join(this.#root, ...parts.slice(0, i))).catch(() => undefined);
      if (st === undefined) return;
      if (st.isSymbolicLink()) {
        throw new CrossrootError('INSTALL_UNSAFE_PATH', 'cleanup refuses to follow a symlink', { path: parts.slice(0, i).join('/') });
      }
    }
  }

  async #lstat(rel: string) {
    await this.#checkParents(rel);
    return lstat(this.path(rel)).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return undefined;
      throw err;
    });
  }

  /** `mkdir -p` with mode 0755 for what it creates; an existing non-directory is an error. */
  async mkdirs(rel: string): Promise<void> {
    const parts = rel.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const sub = parts.slice(0, i).join('/');
      const st = await this.#lstat(sub);
      if (st === undefined) {
        await mkdir(this.path(sub));
        await chmod(this.path(sub), 0o755);
      } else if (st.isSymbolicLink()) {
        throw new CrossrootError('INSTALL_UNSAFE_PATH', 'cleanup refuses to follow a symlink', { path: sub });
      } else if (!st.isDirectory()) {
        throw new CrossrootError('INSTALL_CLEANUP', 'exists and is not a directory', { path: sub });
      }
    }
  }

  /** Unlinks `rel` if it exists (any type but a directory); true if it did. */
  async unlinkIfPresent(rel: string): Promise<boolean> {
    const st = await this.#lstat(rel);
    if (st === undefined) return false;
    if (st.isDirectory()) throw new CrossrootError('INSTALL_CLEANUP', 'is a directory, expected a file', { path: rel });
    await unlink(this.path(rel));
    return true;
  }

  /** `rm -r --one-file-system`, if present. */
  async removeTree(rel: string): Promise<void> {
    if ((await this.#lstat(rel)) === undefined) return;
    await this.#remove(this.path(rel), rel);
  }

  /** Removes every entry of directory `rel` but `keep`; nothing if `rel` is no directory. */
  async emptyDirectory(rel: string, keep: ReadonlySet<string>): Promise<void> {
    const st = await this.#lstat(rel);
    if (st === undefined || !st.isDirectory()) return;
    for (const name of await readdir(this.path(rel))) {
      if (!keep.has(name)) await this.#remove(this.path(`${rel}/${name}`), `${rel}/${name}`);
    }
  }

  async #remove(path: string, rel: string): Promise<void> {
    const st = await lstat(path);
    if (!st.isDirectory()) return unlink(path);
    if (st.dev !== this.#dev) {
      throw new CrossrootError('INSTALL_CLEANUP', 'is on another file system (a mount?), not removing it', { path: rel });
    }
    for (const name of await readdir(path)) await this.#remove(join(path, name), `${rel}/${name}`);
    await rmdir(path);
  }
}
