// Packages indices — the per-architecture binary package lists of a Debian archive (deb822).

import { CrossrootError } from '../../errors.js';
import type { ByteSource } from '../byte-source.js';
import { Deb822Parser } from '../deb822/parse.js';
import type { Paragraph } from '../deb822/paragraph.js';

/**
 * One binary package of an index, with the fields crossroot needs kept as text (relations
 * are parsed on demand). Memory matters: bookworm main has ~64,000 of these per architecture.
 */
export interface PackageRecord {
  package: string;
  version: string;
  architecture: string;
  multiArch: string | undefined;
  essential: boolean;
  priority: string | undefined;
  section: string | undefined;
  source: string | undefined;
  depends: string | undefined;
  preDepends: string | undefined;
  provides: string | undefined;
  conflicts: string | undefined;
  breaks: string | undefined;
  filename: string;
  size: number;
  sha256: string;
  /** The archive root URI the record was read from (set by the repository layer). */
  origin?: string;
}

function required(p: Paragraph, name: string, file: string | undefined): string {
  const v = p.get(name);
  if (v === undefined) {
    throw new CrossrootError('FORMAT_PACKAGES', `package stanza has no ${name} field`, { file, line: p.line, package: p.get('Package') });
  }
  return v;
}

/** Builds a PackageRecord from an index stanza; mandatory fields fail when absent. */
export function toPackageRecord(p: Paragraph, file?: string): PackageRecord {
  const size = required(p, 'Size', file);
  if (!/^[0-9]+$/.test(size)) throw new CrossrootError('FORMAT_PACKAGES', `bad Size ${JSON.stringify(size)}`, { file, line: p.line });
  const sha256 = required(p, 'SHA256', file).toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new CrossrootError('FORMAT_PACKAGES', 'bad SHA256', { file, line: p.line });
  return {
    package: required(p, 'Package', file),
    version: required(p, 'Version', file),
    architecture: required(p, 'Architecture', file),
    multiArch: p.get('Multi-Arch'),
    essential: (p.get('Essential') ?? '').toLowerCase() === 'yes',
    priority: p.get('Priority'),
    section: p.get('Section'),
    source: p.get('Source'),
    depends: p.get('Depends'),
    preDepends: p.get('Pre-Depends'),
    provides: p.get('Provides'),
    conflicts: p.get('Conflicts'),
    breaks: p.get('Breaks'),
    filename: required(p, 'Filename', file),
    size: Number(size),
    sha256,
  };
}

/**
 * Streams the records of an uncompressed Packages index.
 *
 * @example
 * for await (const r of readPackages(stream, { file: 'main/binary-arm64/Packages' })) index.add(r);
 */
export async function* readPackages(source: ByteSource, opts: { file?: string } = {}): AsyncGenerator<PackageRecord> {
  const parser = new Deb822Parser(opts);
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of source) {
    for (const p of parser.push(decoder.decode(chunk, { stream: true }))) yield toPackageRecord(p, opts.file);
  }
  for (const p of parser.push(decoder.decode())) yield toPackageRecord(p, opts.file);
  for (const p of parser.end()) yield toPackageRecord(p, opts.file);
}
