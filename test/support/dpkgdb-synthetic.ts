// Synthetic .debs for the dpkg database oracle tests, built with the host's dpkg-deb, and
// maintainer scripts that record what they see: every script appends a line to
// $SNAPDIR/log and copies DPKG_ADMINDIR to $SNAPDIR/NNN-PKG-SCRIPT, so the database can be
// compared at each moment a script runs, not only at the end.
import { createHash } from 'node:crypto';
import { chmod, link, mkdir, rename, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from './cli.js';
import { ORACLE_CACHE } from './dpkgdb-oracle.js';

const STUB_TOOL = fileURLToPath(new URL('./dpkgdb-stub-deb.py', import.meta.url));

export type SynthFile = string | { symlink: string } | { hardlink: string } | { dir: true };

export interface SynthPackage {
  /** The control file, byte for byte (latin1). */
  control: string;
  /** Files below the root, in creation order (`usr/share/x`). */
  files?: Record<string, SynthFile>;
  /** Other control members: conffiles, triggers, templates, shlibs, md5sums... */
  members?: Record<string, string>;
  /** Script bodies run after the recording prologue. */
  scripts?: Partial<Record<'preinst' | 'postinst' | 'prerm' | 'postrm' | 'config', string>>;
  /** Control member modes to force after building (dpkg-deb refuses odd script modes). */
  modes?: Record<string, number>;
}

/** The shell prologue of every synthetic maintainer script. */
export const RECORDING_PROLOGUE = `#!/bin/sh
set -e
if [ -n "$SNAPDIR" ]; then
  n=$(cat "$SNAPDIR/counter" 2>/dev/null || echo 0); n=$((n + 1)); echo "$n" > "$SNAPDIR/counter"
  echo "$DPKG_MAINTSCRIPT_PACKAGE:$DPKG_MAINTSCRIPT_ARCH $DPKG_MAINTSCRIPT_NAME refcount=$DPKG_MAINTSCRIPT_PACKAGE_REFCOUNT argc=$# args=$*" >> "$SNAPDIR/log"
  cp -a "$DPKG_ADMINDIR" "$SNAPDIR/$(printf %03d "$n")-$DPKG_MAINTSCRIPT_PACKAGE-$DPKG_MAINTSCRIPT_NAME"
fi
`;

/**
 * Builds `pkg` into a .deb under the oracle cache (content-addressed: rebuilt only when
 * the description changes) and returns its path.
 *
 * @example
 * const deb = await buildSynthetic({ control: 'Package: a\nVersion: 1\nArchitecture: all\nMaintainer: x\nDescription: y\n' });
 */
export async function buildSynthetic(pkg: SynthPackage): Promise<string> {
  const key = createHash('sha256').update(JSON.stringify(pkg)).update(RECORDING_PROLOGUE).digest('hex').slice(0, 16);
  const dir = join(ORACLE_CACHE, 'synthetic');
  const out = join(dir, `${key}.deb`);
  const tree = join(dir, `${key}.tree-${process.pid}`);
  await mkdir(join(tree, 'DEBIAN'), { recursive: true });
  await writeFile(join(tree, 'DEBIAN/control'), Buffer.from(pkg.control, 'latin1'));
  for (const [name, text] of Object.entries(pkg.members ?? {})) await writeFile(join(tree, 'DEBIAN', name), Buffer.from(text, 'latin1'));
  for (const [name, body] of Object.entries(pkg.scripts ?? {})) {
    await writeFile(join(tree, 'DEBIAN', name), name === 'config' ? body : `${RECORDING_PROLOGUE}${body}\nexit 0\n`);
    await chmod(join(tree, 'DEBIAN', name), 0o755);
  }
  for (const [path, f] of Object.entries(pkg.files ?? {})) {
    const full = join(tree, path);
    await mkdir(dirname(full), { recursive: true });
    if (typeof f === 'string') await writeFile(full, f);
    else if ('symlink' in f) await symlink(f.symlink, full);
    else if ('hardlink' in f) await link(join(tree, f.hardlink), full);
    else await mkdir(full, { recursive: true });
  }
  const tmp = `${out}.tmp-${process.pid}`;
  const r = await run('dpkg-deb', ['--root-owner-group', '-Znone', '--build', tree, tmp]);
  if (r.code !== 0) throw new Error(`dpkg-deb --build: ${r.stderr}`);
  if (pkg.modes !== undefined) {
    const args = Object.entries(pkg.modes).flatMap(([m, mode]) => ['--mode', `${m}=${mode.toString(8)}`]);
    const r2 = await run('python3', [STUB_TOOL, tmp, `${tmp}.m`, '--keep-scripts', ...args]);
    if (r2.code !== 0) throw new Error(`mode change: ${r2.stderr}`);
    await rename(`${tmp}.m`, tmp);
  }
  await rename(tmp, out);
  await run('rm', ['-rf', tree]);
  return out;
}

/** A minimal control file. */
export function control(fields: Record<string, string>): string {
  const base: Record<string, string> = { Version: '1.0', Architecture: 'all', Maintainer: 'Test <test@example.org>', Description: 'synthetic package\n for crossroot tests', ...fields };
  const order = ['Package', ...Object.keys(base).filter((k) => k !== 'Package')];
  return order.map((k) => `${k}: ${base[k]}\n`).join('');
}
