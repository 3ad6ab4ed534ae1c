// Lockfiles — a resolved set as deb822 (deb822(5)): one header stanza, then one per package in install order.

import { CrossrootError } from '../errors.js';
import { parseDeb822 } from '../formats/deb822/parse.js';
import { pathFieldsProblem } from '../formats/index/packages.js';

/**
 * What a lockfile records. Nothing names a mirror: the lock works with any mirror (or the
 * cache alone) that has the same files.
 */
export interface Lock {
  suite: string;
  architectures: string[];
  variant: string;
  include: string[];
  /** The `Date:` of the primary suite's Release when the lock was made. */
  releaseDate: string;
  packages: LockedPackage[];
}

export interface LockedPackage {
  package: string;
  version: string;
  architecture: string;
  filename: string;
  size: number;
  sha256: string;
}

const FORMAT = '1';

/**
 * Writes a lock as deb822 text.
 *
 * @example
 * await writeFileAtomic('bookworm.lock', formatLock(lock));
 */
export function formatLock(lock: Lock): string {
  const out = [
    `Crossroot-Lock: ${FORMAT}`,
    `Suite: ${lock.suite}`,
    `Architectures: ${lock.architectures.join(' ')}`,
    `Variant: ${lock.variant}`,
    ...(lock.include.length > 0 ? [`Include: ${lock.include.join(' ')}`] : []),
    `Release-Date: ${lock.releaseDate}`,
    '',
  ];
  for (const p of lock.packages) {
    out.push(`Package: ${p.package}`, `Version: ${p.version}`, `Architecture: ${p.architecture}`, `Filename: ${p.filename}`, `Size: ${p.size}`, `SHA256: ${p.sha256}`, '');
  }
  return out.join('\n');
}

/** Reads a lockfile; anything malformed is a FORMAT_LOCK error naming the file and line. */
export function parseLock(text: string, file: string): Lock {
  const paras = parseDeb822(text, { file });
  const head = paras[0];
  const bad = (detail: string, line?: number) => new CrossrootError('FORMAT_LOCK', detail, { file, line });
  if (head === undefined || head.get('Crossroot-Lock') !== FORMAT) throw bad(`not a crossroot lockfile (no "Crossroot-Lock: ${FORMAT}" header)`, 1);
  const need = (p: (typeof paras)[number], name: string) => {
    const v = p.get(name);
    if (v === undefined) throw bad(`missing ${name}`, p.line);
    return v;
  };
  const packages = paras.slice(1).map((p) => {
    const size = need(p, 'Size');
    const sha256 = need(p, 'SHA256');
    if (!/^[0-9]+$/.test(size)) throw bad(`bad Size ${JSON.stringify(size)}`, p.line);
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw bad('bad SHA256', p.line);
    const names = { package: need(p, 'Package'), version: need(p, 'Version'), architecture: need(p, 'Architecture'), filename: need(p, 'Filename') };
    const problem = pathFieldsProblem(names);
    if (problem !== undefined) throw bad(problem, p.line);
    return { ...names, size: Number(size), sha256 };
  });
  return {
    suite: need(head, 'Suite'),
    architectures: need(head, 'Architectures').split(/\s+/),
    variant: need(head, 'Variant'),
    include: (head.get('Include') ?? '').split(/\s+/).filter(Boolean),
    releaseDate: need(head, 'Release-Date'),
    packages,
  };
}
