// Maintainer script patches — replacements for scripts that do not honour DPKG_ROOT (patches/README.md).
//
// A patch replaces what is *executed*; the copy stored in var/lib/dpkg/info stays the
// package's own (DESIGN.md). Layout, under the patches directory:
//
//   PKG/VERSION/SCRIPT               the replacement (VERSION with ':' written as %3a,
//                                    as in .deb file names: gcc/4%3a12.2.0-3/postinst)
//   PKG/any/SCRIPT                   the replacement for every version without its own
//   PKG/VERSION/SCRIPT.orig-sha256   SHA-256 digests (hex, one a line, `#` comments) of the
//                                    package scripts the replacement was written for
//
// The digest list is required: a patch is applied only to a script it was made from, so a
// package that changes its script under the same name (a binNMU, another port, a new
// version matched by `any`) fails loudly instead of silently losing its change.

import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CrossrootError } from '../errors.js';
import type { MaintainerScriptName } from './maintscript.js';

/** The patches shipped with crossroot (`patches/` at the top of the package). */
export const PATCHES_DIR = fileURLToPath(new URL('../../patches/', import.meta.url));

/** The version directory that matches every version. */
export const ANY_VERSION = 'any';

export interface ScriptPatch {
  /** The replacement script. */
  path: string;
  /** The version directory it was found in (`any` or the encoded version). */
  versionDirectory: string;
  /** SHA-256 digests of the package scripts it replaces. */
  originals: string[];
}

/**
 * The directory name for a version: `:` (epoch) written `%3a`, as apt names .deb files.
 *
 * @example
 * patchVersionDirectory('4:12.2.0-3'); // '4%3a12.2.0-3'
 */
export function patchVersionDirectory(version: string): string {
  // Debian versions: [A-Za-z0-9.+~:-] (deb-version(5)); nothing here may leave the directory.
  if (!/^[A-Za-z0-9][A-Za-z0-9.+~:-]*$/.test(version)) {
    throw new CrossrootError('INSTALL_BAD_NAME', `not a valid version: ${JSON.stringify(version)}`);
  }
  return version.replaceAll(':', '%3a');
}

/**
 * The patch for a package's script, if there is one: the exact version's first, else `any`.
 *
 * @example
 * await findPatch('util-linux-extra', '2.38.1-5+deb12u3', 'postinst');
 * // { path: '…/patches/util-linux-extra/2.38.1-5+deb12u3/postinst', versionDirectory: '2.38.1-5+deb12u3', originals: ['0307…'] }
 */
export async function findPatch(
  pkg: string,
  version: string,
  script: MaintainerScriptName,
  patchesDir: string = PATCHES_DIR,
): Promise<ScriptPatch | undefined> {
  if (!/^[a-z0-9][a-z0-9+.-]+$/.test(pkg)) throw new CrossrootError('INSTALL_BAD_NAME', `not a valid package name: ${JSON.stringify(pkg)}`);
  for (const dir of [patchVersionDirectory(version), ANY_VERSION]) {
    const path = join(patchesDir, pkg, dir, script);
    const st = await stat(path).catch(() => undefined);
    if (st === undefined) continue;
    const where = relative(resolve(patchesDir, '..'), path);
    if (!st.isFile()) throw new CrossrootError('INSTALL_BAD_PATCH', 'not a regular file', { file: where });
    const list = await readFile(`${path}.orig-sha256`, 'utf8').catch(() => undefined);
    if (list === undefined) {
      throw new CrossrootError('INSTALL_BAD_PATCH', `${script}.orig-sha256 is missing: a patch must name the scripts it replaces`, { file: where });
    }
    const originals = list
      .split('\n')
      .map((l) => l.replace(/#.*/, '').trim())
      .filter((l) => l !== '');
    const bad = originals.find((d) => !/^[0-9a-f]{64}$/.test(d));
    if (bad !== undefined || originals.length === 0) {
      throw new CrossrootError('INSTALL_BAD_PATCH', `${script}.orig-sha256: expected SHA-256 digests, one a line${bad === undefined ? '' : `, got ${JSON.stringify(bad)}`}`, {
        file: where,
      });
    }
    return { path, versionDirectory: dir, originals };
  }
  return undefined;
}

/**
 * The file to execute for a script: the patch for it, else `defaultPath` (the stored
 * script, inside `root`). Throws `INSTALL_PATCH_STALE` when a patch exists but the stored
 * script is not one it was written for, and `INSTALL_SCRIPT_MISSING` when the package has
 * no such script to replace.
 *
 * @example
 * const stored = '/srv/root/var/lib/dpkg/info/util-linux-extra.postinst';
 * await scriptToExecute('/srv/root', 'util-linux-extra', '2.38.1-5+deb12u3', 'postinst', stored);
 * // '…/patches/util-linux-extra/2.38.1-5+deb12u3/postinst'
 * await scriptToExecute('/srv/root', 'dash', '0.5.12-2', 'postinst', '/srv/root/var/lib/dpkg/info/dash.postinst');
 * // '/srv/root/var/lib/dpkg/info/dash.postinst'
 */
export async function scriptToExecute(
  root: string,
  pkg: string,
  version: string,
  script: MaintainerScriptName,
  defaultPath: string,
  patchesDir: string = PATCHES_DIR,
): Promise<string> {
  const inRoot = relative(resolve(root), resolve(defaultPath));
  if (inRoot === '' || inRoot === '..' || inRoot.startsWith(`..${sep}`)) {
    throw new CrossrootError('INSTALL_BAD_NAME', `the stored script must lie inside the target root ${root}`, { path: defaultPath });
  }
  const patch = await findPatch(pkg, version, script, patchesDir);
  if (patch === undefined) return defaultPath;
  const original = await readFile(defaultPath).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (original === undefined) {
    throw new CrossrootError('INSTALL_SCRIPT_MISSING', `${pkg} ${version} has no ${script}, but patches/ has one to replace it`, { file: patch.path });
  }
  const digest = createHash('sha256').update(original).digest('hex');
  if (!patch.originals.includes(digest)) {
    throw new CrossrootError(
      'INSTALL_PATCH_STALE',
      `the patch for ${pkg} ${version} ${script} was written for another script (sha256 ${digest} not in ${script}.orig-sha256): review the patch against the package's script`,
      { file: patch.path },
    );
  }
  return patch.path;
}
