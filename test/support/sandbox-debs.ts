// Synthetic packages and empty dpkg roots for the maintainer-script tests (built by dpkg-deb, installed by real dpkg).
import { chmod, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBuffer } from './cli.js';

export type ScriptName = 'preinst' | 'postinst' | 'prerm' | 'postrm';

export interface SyntheticPackage {
  name: string;
  version: string;
  /** Architecture field: `all` or a Debian architecture. */
  arch: string;
  multiArchSame?: boolean;
  scripts: Partial<Record<ScriptName, string>>;
}

/** A fresh directory under the system temporary directory. */
export function scratchDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `crossroot-${prefix}-`));
}

/** The host's dpkg architecture (`dpkg --print-architecture`). */
export async function hostArch(): Promise<string> {
  return (await runBuffer('dpkg', ['--print-architecture'])).toString('utf8').trim();
}

/** Builds `<dir>/<name>.deb` with dpkg-deb (one file, the given scripts, mode 0755). */
export async function buildDeb(dir: string, pkg: SyntheticPackage): Promise<string> {
  const tree = join(dir, `tree-${pkg.name}`);
  await mkdir(join(tree, 'DEBIAN'), { recursive: true });
  await mkdir(join(tree, 'usr/share/doc', pkg.name), { recursive: true });
  await writeFile(join(tree, 'usr/share/doc', pkg.name, 'README'), `${pkg.name}\n`);
  const control = [
    `Package: ${pkg.name}`,
    `Version: ${pkg.version}`,
    `Architecture: ${pkg.arch}`,
    ...(pkg.multiArchSame ? ['Multi-Arch: same'] : []),
    'Maintainer: crossroot tests <tests@example.invalid>',
    'Description: maintainer script test package',
    '',
  ].join('\n');
  await writeFile(join(tree, 'DEBIAN/control'), control);
  for (const [name, text] of Object.entries(pkg.scripts)) {
    await writeFile(join(tree, 'DEBIAN', name), text);
    await chmod(join(tree, 'DEBIAN', name), 0o755);
  }
  const deb = join(dir, `${pkg.name}.deb`);
  await runBuffer('dpkg-deb', ['--root-owner-group', '-Zgzip', '-b', tree, deb]);
  return deb;
}

/** An empty root dpkg can install into: var/lib/dpkg/{status,info,updates,triggers,arch} and tmp. */
export async function emptyDpkgRoot(root: string, arch: string): Promise<string> {
  for (const d of ['var/lib/dpkg/info', 'var/lib/dpkg/updates', 'var/lib/dpkg/triggers']) await mkdir(join(root, d), { recursive: true });
  await mkdir(join(root, 'tmp'), { recursive: true });
  await chmod(join(root, 'tmp'), 0o1777);
  await writeFile(join(root, 'var/lib/dpkg/status'), '');
  await writeFile(join(root, 'var/lib/dpkg/arch'), `${arch}\n`);
  return root;
}

/** Writes a stored script as dpkg would have left it: `info/PKG[:ARCH].SCRIPT`, mode 0755. */
export async function storeScript(
  root: string,
  pkg: { name: string; arch: string; multiArchSame?: boolean },
  script: ScriptName,
  text: string,
): Promise<string> {
  const path = join(root, 'var/lib/dpkg/info', `${pkg.name}${pkg.multiArchSame ? `:${pkg.arch}` : ''}.${script}`);
  await writeFile(path, text);
  await chmod(path, 0o755);
  return path;
}
