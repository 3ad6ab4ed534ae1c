// Lockfiles — a resolved set as deb822 (deb822(5)): one header stanza, then one per package in install order.

import { CrossrootError } from '../errors.js';
import { parseDeb822 } from '../formats/deb822/parse.js';
import { architectureNameProblem } from '../formats/control/package-name.js';
import { pathFieldsProblem, sizeValue } from '../formats/index/packages.js';

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

/**
 * Reads a lockfile; anything malformed is a FORMAT_LOCK error naming the file and line (and the
 * package): another format version, a header field that is not one word, a package entry without
 * a field or with one that could name a path outside the archive, cache or root, and the same
 * package (name and architecture) twice, which no resolution writes.
 *
 * @example
 * const lock = parseLock(await readFile('bookworm.lock', 'utf8'), 'bookworm.lock');
 */
export function parseLock(text: string, file: string): Lock {
  const paras = parseDeb822(text, { file });
  const head = paras[0];
  const bad = (detail: string, line?: number, pkg?: string) =>
    new CrossrootError('FORMAT_LOCK', pkg !== undefined ? `package ${JSON.stringify(pkg)}: ${detail}` : detail, { file, line });
  const version = head?.get('Crossroot-Lock');
  if (head === undefined || version === undefined) throw bad(`not a crossroot lockfile (no "Crossroot-Lock: ${FORMAT}" header)`, head?.line ?? 1);
  if (version !== FORMAT) throw bad(`lockfile format ${JSON.stringify(version)}, this crossroot reads format ${FORMAT} (make the lock again with this crossroot)`, head.field('Crossroot-Lock')!.line);
  const need = (p: (typeof paras)[number], name: string, pkg?: string) => {
    const v = p.get(name);
    if (v === undefined) throw bad(`missing ${name}`, p.line, pkg);
    return v;
  };
  // Header values become a suite in a sources line, architectures and a variant: words, one line.
  const words = (name: string, optional = false) => {
    const v = optional ? (head.get(name) ?? '') : need(head, name);
    // eslint-disable-next-line no-control-regex
    if (/[\x00-\x08\x0a-\x1f\x7f]/.test(v) || (!optional && v.trim() === '')) throw bad(`bad ${name} ${JSON.stringify(v)}`, head.field(name)?.line ?? head.line);
    return v.split(/\s+/).filter(Boolean);
  };
  const [suite, ...moreSuites] = words('Suite');
  if (moreSuites.length > 0) throw bad(`bad Suite ${JSON.stringify(need(head, 'Suite'))}: one suite`, head.field('Suite')!.line);
  const architectures = words('Architectures');
  for (const a of architectures) {
    const problem = architectureNameProblem(a);
    if (problem !== undefined) throw bad(`bad Architectures: ${JSON.stringify(a)} ${problem}`, head.field('Architectures')!.line);
  }
  const [variant, ...moreVariants] = words('Variant');
  if (moreVariants.length > 0) throw bad(`bad Variant ${JSON.stringify(need(head, 'Variant'))}: one variant`, head.field('Variant')!.line);
  const include = words('Include', true);
  const releaseDate = need(head, 'Release-Date');
  const seen = new Map<string, number>();
  const packages = paras.slice(1).map((p) => {
    const pkg = p.get('Package');
    const names = { package: need(p, 'Package'), version: need(p, 'Version', pkg), architecture: need(p, 'Architecture', pkg), filename: need(p, 'Filename', pkg) };
    const problem = pathFieldsProblem(names);
    if (problem !== undefined) throw bad(problem, p.line);
    const sizeText = need(p, 'Size', pkg);
    const size = sizeValue(sizeText);
    if (size === undefined) throw bad(`bad Size ${JSON.stringify(sizeText)}`, p.line, pkg);
    const sha256 = need(p, 'SHA256', pkg);
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw bad(`bad SHA256 ${JSON.stringify(sha256.slice(0, 80))}`, p.line, pkg);
    const key = `${names.package}:${names.architecture}`;
    const first = seen.get(key);
    if (first !== undefined) throw bad(`${names.architecture} locked twice (first at line ${first})`, p.line, pkg);
    seen.set(key, p.line);
    return { ...names, size, sha256 };
  });
  return { suite: suite!, architectures, variant: variant!, include, releaseDate, packages };
}
