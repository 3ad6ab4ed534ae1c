// Small synthetic packages and a flat apt repository made with dpkg-deb and apt-ftparchive.
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runBuffer } from './cli.js';

export interface SyntheticPackage {
  name: string;
  version: string;
  architecture?: string;
  /** Extra control fields (Depends, Pre-Depends, Provides, Essential, Multi-Arch, ...). */
  fields?: Record<string, string>;
  /** Files in the data archive: path (without leading ./) → content, or a symlink. */
  files?: Record<string, string | { symlink: string }>;
  /** Maintainer scripts and other control members: name → content. */
  control?: Record<string, string>;
}

/** Builds one .deb with the real dpkg-deb into `dir`; returns its path. */
export async function buildDeb(dir: string, p: SyntheticPackage): Promise<string> {
  const arch = p.architecture ?? 'all';
  const tree = join(dir, `${p.name}-tree`);
  await mkdir(join(tree, 'DEBIAN'), { recursive: true });
  const fields = { Package: p.name, Version: p.version, Architecture: arch, Maintainer: 'crossroot tests <tests@localhost>', ...p.fields };
  const control = Object.entries(fields).map(([k, v]) => `${k}: ${v}\n`).join('') + `Description: synthetic test package ${p.name}\n`;
  await writeFile(join(tree, 'DEBIAN', 'control'), control);
  for (const [name, content] of Object.entries(p.control ?? {})) {
    await writeFile(join(tree, 'DEBIAN', name), content);
    if (/^(pre|post)(inst|rm)$|^config$/.test(name)) await chmod(join(tree, 'DEBIAN', name), 0o755);
  }
  for (const [path, content] of Object.entries(p.files ?? {})) {
    const full = join(tree, path);
    await mkdir(join(full, '..'), { recursive: true });
    if (typeof content === 'string') await writeFile(full, content);
    else await runBuffer('ln', ['-s', content.symlink, full]);
  }
  const deb = join(dir, `${p.name}_${p.version.replace(/:/g, '%3a')}_${arch}.deb`);
  await runBuffer('dpkg-deb', ['--root-owner-group', '-Zgzip', '--build', tree, deb]);
  await runBuffer('rm', ['-rf', tree]);
  return deb;
}

/**
 * A flat repository (`deb [trusted=yes] file:///DIR ./`) holding the packages, with
 * Packages and Release written by apt-ftparchive. Returns the sources line.
 */
export async function makeFlatRepo(dir: string, packages: SyntheticPackage[]): Promise<string> {
  await mkdir(dir, { recursive: true });
  for (const p of packages) await buildDeb(dir, p);
  await writeFile(join(dir, 'Packages'), await runBuffer('apt-ftparchive', ['packages', '.'], { cwd: dir }));
  // Generated before it is written, so the Release does not list itself.
  const release = await runBuffer('apt-ftparchive', ['release', '.'], { cwd: dir });
  await writeFile(join(dir, 'Release'), release);
  return `deb [trusted=yes] file://${dir} ./`;
}
