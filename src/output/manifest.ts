// Manifests — one line per tarball member, the text form golden/ files and verify reports use.

import { createHash } from 'node:crypto';
import type { ByteSource } from '../formats/byte-source.js';
import type { TarEntry } from '../formats/tar/entry.js';
import { readTar } from '../formats/tar/read.js';

const TYPE: Record<TarEntry['type'], string> = { file: '-', dir: 'd', symlink: 'l', hardlink: 'h', char: 'c', block: 'b', fifo: 'p' };

/**
 * One manifest line: `TYPE MODE UID:GID SIZE|MAJ,MIN MTIME SHA256|- PATH[ -> TARGET]`, where
 * TYPE is `-dlhcbp` (h a hard link), MODE four octal digits, SHA256 the content digest of a
 * regular file. Fields are separated by single spaces; the path comes last, as stored.
 */
export function manifestLine(e: TarEntry, sha256: string | undefined): string {
  const mode = e.mode.toString(8).padStart(4, '0');
  const size = e.type === 'char' || e.type === 'block' ? `${e.devmajor},${e.devminor}` : String(e.size);
  const link = e.linkname !== undefined ? ` -> ${e.linkname}` : '';
  return `${TYPE[e.type]} ${mode} ${e.uid}:${e.gid} ${size} ${e.mtime} ${sha256 ?? '-'} ${e.path}${link}`;
}

/**
 * The manifest of an (uncompressed) tar stream, in member order.
 *
 * @example
 * const text = await manifestOf(hostDecompressor()('xz', fs.createReadStream('out.tar.xz'), {}));
 */
export async function manifestOf(tar: ByteSource, ctx: { file?: string } = {}): Promise<string> {
  const lines: string[] = [];
  for await (const { entry, body } of readTar(tar, ctx)) {
    let digest: string | undefined;
    if (entry.type === 'file') {
      const h = createHash('sha256');
      for await (const c of body) h.update(c);
      digest = h.digest('hex');
    }
    lines.push(manifestLine(entry, digest));
  }
  return lines.join('\n') + '\n';
}
