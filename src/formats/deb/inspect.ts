// Package inspection — the `crossroot inspect` view of a deb(5): fields, scripts, conffiles, files.

import type { ByteSource } from '../byte-source.js';
import type { Decompressor } from '../compression.js';
import type { TarEntryType } from '../tar/entry.js';
import { readDeb } from './read.js';

/** The maintainer scripts dpkg runs (deb-preinst(5) etc. and debconf's config), in dpkg's order. */
export const MAINTAINER_SCRIPTS = ['preinst', 'postinst', 'prerm', 'postrm', 'config'] as const;

/** One data.tar member as `inspect --json` prints it. */
export interface InspectedFile {
  path: string;
  type: TarEntryType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  linkname?: string;
}

/** The documented `inspect --json` shape; later tools and checks rely on it. */
export interface Inspection {
  control: Record<string, string>;
  scripts: string[];
  conffiles: string[];
  files: InspectedFile[];
}

/**
 * Reads a whole .deb and describes it. The control fields keep file order; the file list
 * keeps tar order.
 *
 * @example
 * const i = await inspectDeb(fs.createReadStream(f), { file: f, decompressor: hostDecompressor() });
 * i.control.Package;
 */
export async function inspectDeb(source: ByteSource, opts: { file: string; decompressor: Decompressor }): Promise<Inspection> {
  const files: InspectedFile[] = [];
  const c = await readDeb(source, {
    ...opts,
    onData: ({ entry }) => {
      const f: InspectedFile = {
        path: entry.path,
        type: entry.type,
        mode: entry.mode,
        uid: entry.uid,
        gid: entry.gid,
        size: entry.size,
        mtime: entry.mtime,
      };
      if (entry.linkname !== undefined) f.linkname = entry.linkname;
      files.push(f);
    },
  });
  const conffiles = c.members.get('conffiles')?.data.toString('utf8') ?? '';
  return {
    control: c.control.toObject(),
    scripts: MAINTAINER_SCRIPTS.filter((s) => c.members.has(s)),
    // A conffiles line is "PATH" or "FLAG... PATH" (dpkg 1.20.1+ remove-on-upgrade): keep the path.
    conffiles: conffiles.split('\n').map((l) => l.trim()).filter((l) => l !== '').map((l) => l.split(/\s+/).pop()!),
    files,
  };
}
