// The dpkg of a tools tree — the version its scripts see as DPKG_RUNNING_VERSION (dpkg src/main/main.c:
// setenv("DPKG_RUNNING_VERSION", PACKAGE_VERSION)), read from that tree's own dpkg database.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CrossrootError } from '../errors.js';
import { parseDeb822 } from '../formats/deb822/parse.js';

const cache = new Map<string, string>();

/**
 * The version of dpkg installed in `tree` (`/` for the host), as its `var/lib/dpkg/status`
 * records it: the dpkg whose helpers (dpkg-divert, dpkg-trigger, dpkg-maintscript-helper)
 * the scripts run, so the one whose version they are told. Read once per tree.
 *
 * @example
 * installedDpkgVersion('/'); // '1.21.22' on a bookworm host not yet upgraded
 */
export function installedDpkgVersion(tree: string): string {
  const known = cache.get(tree);
  if (known !== undefined) return known;
  const file = join(tree, 'var/lib/dpkg/status');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CrossrootError('HOST_NO_DPKG', `the tools tree has no dpkg database (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): install dpkg in it`, { file });
  }
  const dpkg = parseDeb822(text, { file }).find((p) => p.get('Package') === 'dpkg' && /\binstalled$/.test(p.get('Status') ?? ''));
  const version = dpkg?.get('Version');
  if (version === undefined) throw new CrossrootError('HOST_NO_DPKG', 'the tools tree has no installed dpkg: install dpkg in it', { file });
  cache.set(tree, version);
  return version;
}
