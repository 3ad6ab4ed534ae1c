// Verifying — resolve once, build chrootless and reference from the same set, compare, report.

import { createReadStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { compareTrees, type Comparison } from '../compare/compare.js';
import { htmlReport } from '../compare/report-html.js';
import { jsonReport } from '../compare/report-json.js';
import { junitReport } from '../compare/report-junit.js';
import { textReport } from '../compare/report-text.js';
import { openTree } from '../compare/tree-source.js';
import { hostDecompressor } from '../host/decompress.js';
import { writeFileAtomic } from '../host/atomic.js';
import { manifestOf } from '../output/manifest.js';
import { formatLock } from '../resolve/lockfile.js';
import { buildRoot, type BuildOptions } from './build.js';
import { resolveSuite } from './resolve.js';

export interface VerifyOptions extends Omit<BuildOptions, 'target'> {
  /** The report directory: lockfile, manifests, report.json, junit.xml, report.html, both tarballs. */
  report: string;
}

export interface Verification {
  comparison: Comparison;
  chrootless: string;
  reference: string;
}

/**
 * Resolves once, builds the chrootless root and the reference from that resolution, compares
 * them and writes the report directory. `comparison.identical` is the verdict.
 *
 * @example
 * const v = await verifySuite({ suite: 'bookworm', arch: 'arm64', variant: 'essential', report: 'report', ... });
 */
export async function verifySuite(opts: VerifyOptions): Promise<Verification> {
  await mkdir(opts.report, { recursive: true });
  const resolved = await resolveSuite(opts);
  await writeFileAtomic(join(opts.report, `${opts.suite}-${opts.arch}-${opts.variant}.lock`), formatLock(resolved.lock));
  const chrootless = join(opts.report, 'chrootless.tar');
  const reference = join(opts.report, 'reference.tar');
  // One after the other: both use both cores (unpacking, compression, qemu).
  opts.log?.(`building the chrootless root (${opts.installer} installer)`);
  await buildRoot({ ...opts, target: chrootless }, resolved);
  opts.log?.('building the reference root (dpkg inside the root)');
  await buildRoot({ ...opts, installer: 'chroot', target: reference }, resolved);
  const decompressor = hostDecompressor();
  for (const [name, tar] of [['chrootless', chrootless], ['reference', reference]] as const) {
    await writeFileAtomic(join(opts.report, `${name}.manifest`), await manifestOf(createReadStream(tar), { file: tar }));
  }
  const comparison = await compareTrees(await openTree(reference, { decompressor }), await openTree(chrootless, { decompressor }));
  await writeFileAtomic(join(opts.report, 'report.json'), jsonReport(comparison));
  await writeFileAtomic(join(opts.report, 'report.txt'), textReport(comparison));
  await writeFileAtomic(join(opts.report, 'junit.xml'), junitReport(comparison));
  await writeFileAtomic(join(opts.report, 'report.html'), htmlReport(comparison));
  return { comparison, chrootless, reference };
}
