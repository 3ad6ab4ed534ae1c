// Member names — one spelling per tree path, and GNU tar's `--sort=name` order (tar(1), POSIX pax(1) pathnames).

/**
 * The one spelling of an archive path crossroot compares and reports: absolute, no `.`
 * components, no repeated or trailing slashes; the root is `/`. `./usr/`, `usr`, `/usr`
 * and `usr//` are all `/usr`, so a directory and a tarball of the same tree line up.
 * `..` components are kept: comparing does not resolve paths, it only names them.
 *
 * @example
 * normalizeMemberName('./usr/bin/') // '/usr/bin'
 * normalizeMemberName('./')         // '/'
 */
export function normalizeMemberName(raw: string): string {
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  return '/' + parts.join('/');
}

/**
 * Orders normalized names as GNU tar `--sort=name` writes a tree: a directory, then its
 * contents, then its next sibling, siblings in byte order (strcmp on UTF-8). That is a
 * code-point comparison in which `/` sorts before every other character, so `/a/b` comes
 * before `/a-b` (plain string order would put `-` first).
 *
 * @example
 * ['/a-b', '/a/b', '/a'].sort(compareMemberNames) // ['/a', '/a/b', '/a-b']
 */
export function compareMemberNames(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ca = a.codePointAt(i)!;
    const cb = b.codePointAt(j)!;
    if (ca !== cb) {
      if (ca === 0x2f) return -1;
      if (cb === 0x2f) return 1;
      return ca < cb ? -1 : 1;
    }
    i += ca > 0xffff ? 2 : 1;
    j += cb > 0xffff ? 2 : 1;
  }
  return a.length - i - (b.length - j);
}
