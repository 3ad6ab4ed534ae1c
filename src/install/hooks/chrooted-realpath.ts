// A path inside the root, its symlinks resolved as if the root were `/` — mmdebstrap 1.3.5's
// `chrooted_realpath` (3280-3320), which its special hooks use for their in-root paths.

import { lstatSync, readlinkSync } from 'node:fs';
import { CrossrootError } from '../../errors.js';

/**
 * `src` (absolute or not: both are read from the root) resolved inside `root`: `..` stops at
 * the root, an absolute symlink restarts at it, more than 25 symlinks is an error. The result
 * is a host path under `root`; components that do not exist are appended as they are.
 *
 * @example
 * chrootedRealpath('/tmp/r', '/bin/sh'); // '/tmp/r/usr/bin/sh' where bin -> usr/bin
 */
export function chrootedRealpath(root: string, src: string): string {
  let result = root;
  let rest = src.replace(/^\/+/, '');
  let loop = 0;
  while (rest.length > 0) {
    if (loop > 25) throw new CrossrootError('INSTALL_HOOK_PATH', 'too many levels of symbolic links', { path: src });
    const slash = rest.search(/\/+/);
    const prefix = slash < 0 ? rest : rest.slice(0, slash);
    rest = slash < 0 ? '' : rest.slice(slash).replace(/^\/+/, '');
    if (prefix === '.' || prefix === '') continue;
    if (prefix === '..') {
      result = result.replace(/\/[^/]*$/, '');
      if (!result.startsWith(root)) result = root;
      continue;
    }
    const here = `${result}/${prefix}`;
    if (lstatSync(here, { throwIfNoEntry: false })?.isSymbolicLink() === true) {
      let dst = readlinkSync(here);
      if (dst.startsWith('/')) {
        dst = dst.replace(/^\/+/, '');
        result = root;
      }
      rest = rest.length > 0 ? `${dst}/${rest}` : dst;
      loop++;
    } else {
      result = here;
    }
  }
  return result;
}
