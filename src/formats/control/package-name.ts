// Package and architecture names — Debian Policy 5.6.1 (Package) and dpkg-architecture(1) / dpkg's arch.c.

/**
 * Why `name` is not a valid binary package name, or `undefined` if it is. Policy 5.6.1:
 * at least two characters, lower-case letters, digits, `+`, `-` and `.`, starting with a
 * letter or digit. Names are joined into file names (`NAME_VERSION_ARCH.deb`, `info/NAME.list`),
 * so a `/` or `..` must never get that far.
 *
 * @example
 * packageNameProblem('libc6'); // undefined
 * packageNameProblem('../x'); // 'must start with a lower-case letter or digit'
 */
export function packageNameProblem(name: string): string | undefined {
  if (name.length < 2) return 'must be at least two characters long';
  if (!/^[a-z0-9]/.test(name)) return 'must start with a lower-case letter or digit';
  if (!/^[a-z0-9][a-z0-9+.-]+$/.test(name)) return 'may only contain lower-case letters, digits, "+", "-" and "."';
  return undefined;
}

/**
 * Why `name` is not a package name dpkg accepts in a .deb's control file, or `undefined`:
 * dpkg's `pkg_name_is_illegal` (lib/dpkg/parsehelp.c) — not empty, starting with a letter or
 * digit, then letters, digits and `-+._`. Laxer than Policy (dpkg installs what it accepts),
 * but never a `/`, a blank or a control character: the name becomes `info/NAME.list`.
 *
 * @example
 * dpkgPackageNameProblem('Foo_1'); // undefined
 * dpkgPackageNameProblem('a/b'); // "character '/' not allowed (only letters, digits and characters '-+._')"
 */
export function dpkgPackageNameProblem(name: string): string | undefined {
  if (name === '') return 'may not be empty string';
  if (!/^[A-Za-z0-9]/.test(name)) return 'must start with an alphanumeric character';
  const bad = /[^A-Za-z0-9+._-]/.exec(name);
  if (bad !== null) return `character '${bad[0]}' not allowed (only letters, digits and characters '-+._')`;
  return undefined;
}

/**
 * Why `arch` is not a valid architecture name, or `undefined` if it is: letters, digits and
 * `-`, starting with a letter or digit (dpkg's `dpkg_arch_name_is_illegal`).
 *
 * @example
 * architectureNameProblem('arm64'); // undefined
 */
export function architectureNameProblem(arch: string): string | undefined {
  if (arch === '') return 'is empty';
  if (!/^[A-Za-z0-9][A-Za-z0-9-]*$/.test(arch)) return 'may only contain letters, digits and "-", starting with a letter or digit';
  return undefined;
}
