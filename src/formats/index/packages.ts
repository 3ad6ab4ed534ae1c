// Packages indices — the per-architecture binary package lists of a Debian archive (deb822).

import { CrossrootError } from '../../errors.js';
import type { ByteSource } from '../byte-source.js';
import { architectureNameProblem, packageNameProblem } from '../control/package-name.js';
import { parseVersion } from '../control/version.js';
import { archivePathProblem } from './archive-path.js';
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
    const pkg = p.get('Package');
    throw new CrossrootError('FORMAT_PACKAGES', `${pkg !== undefined ? `package ${JSON.stringify(pkg)}: ` : ''}stanza has no ${name} field`, { file, line: p.line, package: pkg });
  }
  return v;
}

/**
 * The number of a `Size` field, or `undefined` when it is not one: decimal digits only (dpkg and
 * apt read it unsigned), and exact in a JavaScript number (at most 2^53 - 1: 8 PiB, beyond any
 * real package, and a larger one would be compared rounded).
 *
 * @example
 * sizeValue('1234'); // 1234
 * sizeValue('-1'); // undefined
 */
export function sizeValue(text: string): number | undefined {
  if (!/^[0-9]+$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * Why the fields that become file names (Package, Version, Architecture, Filename) are
 * unsafe, as a message naming the package, or `undefined` when all are sound. Shared by the
 * index and lockfile parsers: these fields are joined into host paths (the download's
 * source, `NAME_VERSION_ARCH.deb` in the root), so a hostile archive must be stopped here.
 *
 * @example
 * pathFieldsProblem({ package: 'dash', version: '0.5.12-2', architecture: 'arm64', filename: '../x' });
 * // 'package dash: Filename "../x" has a ".." segment'
 */
export function pathFieldsProblem(r: { package: string; version: string; architecture: string; filename: string }): string | undefined {
  const q = JSON.stringify;
  const name = packageNameProblem(r.package);
  if (name !== undefined) return `package ${q(r.package)}: invalid package name: ${name}`;
  try {
    parseVersion(r.version);
  } catch (err) {
    if (!(err instanceof CrossrootError)) throw err;
    return `package ${r.package}: ${err.detail}`;
  }
  const arch = architectureNameProblem(r.architecture);
  if (arch !== undefined) return `package ${r.package}: invalid Architecture ${q(r.architecture)}: ${arch}`;
  const path = archivePathProblem(r.filename);
  if (path !== undefined) return `package ${r.package}: Filename ${q(r.filename)} ${path}`;
  return undefined;
}

/** Builds a PackageRecord from an index stanza; mandatory fields fail when absent, unsafe names are refused. */
export function toPackageRecord(p: Paragraph, file?: string): PackageRecord {
  const names = { package: required(p, 'Package', file), version: required(p, 'Version', file), architecture: required(p, 'Architecture', file), filename: required(p, 'Filename', file) };
  const bad = (detail: string) => new CrossrootError('FORMAT_PACKAGES', `package ${JSON.stringify(names.package)}: ${detail}`, { file, line: p.line, package: names.package });
  const sizeText = required(p, 'Size', file);
  const size = sizeValue(sizeText);
  if (size === undefined) throw bad(`bad Size ${JSON.stringify(sizeText)}`);
  const sha256 = required(p, 'SHA256', file).toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw bad(`bad SHA256 ${JSON.stringify(sha256.slice(0, 80))}`);
  const problem = pathFieldsProblem(names);
  if (problem !== undefined) throw new CrossrootError('FORMAT_PACKAGES', problem, { file, line: p.line });
  return {
    package: names.package,
    version: names.version,
    architecture: names.architecture,
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
    filename: names.filename,
    size,
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
