// Verifying — resolve once, build chrootless and reference from the same set, compare, report.

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Cell } from '../compare/cell.js';
import { compareTrees, type Comparison } from '../compare/compare.js';
import { byMember } from '../compare/describe.js';
import { packageOwners } from '../compare/package-owners.js';
import { htmlReport } from '../compare/report-html.js';
import { junitReport } from '../compare/report-junit.js';
import { textReport } from '../compare/report-text.js';
import { hostErrorReport, verifyReport } from '../compare/report-verify.js';
import { openTree } from '../compare/tree-source.js';
import { CrossrootError } from '../errors.js';
import { hostDecompressor } from '../host/decompress.js';
import { writeFileAtomic } from '../host/atomic.js';
import { crossrootVersion } from '../host/version.js';
import { manifestOf } from '../output/manifest.js';
import type { SourceEntry } from '../repository/sources.js';
import { formatLock } from '../resolve/lockfile.js';
import { buildRoot, type BuildOptions } from './build.js';
import { emulatorFor } from './emulator.js';
import { resolveSuite, sourceEntries } from './resolve.js';

export interface VerifyOptions extends Omit<BuildOptions, 'target'> {
  /** The report directory: lockfile, manifests, report.json, junit.xml, report.html, both tarballs. */
  report: string;
  /** Milliseconds from any fixed point (performance.now), to time each build; without it the cell records no times. */
  clock?: () => number;
}

export interface Verification {
  comparison: Comparison;
  chrootless: string;
  reference: string;
}

function sourceLine(s: SourceEntry): string {
  return `deb${s.trusted ? ' [trusted=yes]' : ''} ${s.uri} ${s.suite} ${s.components.join(' ')}`;
}

/**
 * Resolves once, builds the chrootless root and the reference from that resolution, compares
 * them and writes the report directory. `comparison.identical` is the verdict. When the host
 * lacks something (a HOST_ error, exit 4), report.json still says which cell and why, so that
 * a summary of many cells shows it as such; the error is then thrown on.
 *
 * @example
 * const v = await verifySuite({ suite: 'bookworm', arch: 'arm64', variant: 'essential', report: 'report', ... });
 */
export async function verifySuite(opts: VerifyOptions): Promise<Verification> {
  await mkdir(opts.report, { recursive: true });
  // A report.json left by an earlier run must not speak for this one if it fails.
  await rm(join(opts.report, 'report.json'), { force: true });
  const cell: Cell = {
    suite: opts.suite,
    architecture: opts.arch,
    variant: opts.variant,
    include: opts.include,
    mirrors: opts.mirrors,
    lockfile: null,
    crossroot: crossrootVersion(),
    seconds: { chrootless: null, reference: null },
    emulator: null,
  };
  try {
    return await verifyCell(opts, cell);
  } catch (err) {
    if (err instanceof CrossrootError && err.code.startsWith('HOST_')) {
      await writeFileAtomic(join(opts.report, 'report.json'), hostErrorReport(cell, err));
    }
    throw err;
  }
}

async function verifyCell(opts: VerifyOptions, cell: Cell): Promise<Verification> {
  cell.mirrors = (await sourceEntries(opts)).map(sourceLine);
  // Before the packages are downloaded or built: which qemu-user will run the reference's
  // binaries (the host's, or one from the suite's archive registered for this run only); a
  // runner where none can run them never makes the reference, and says so at once.
  const emulator = await emulatorFor(opts, opts.log);
  cell.emulator = { kind: emulator.kind, package: emulator.package, version: emulator.version, path: emulator.path, origin: emulator.origin };
  const resolved = await resolveSuite(opts);
  const lockName = `${opts.suite}-${opts.arch}-${opts.variant}.lock`;
  const lockText = formatLock(resolved.lock);
  await writeFileAtomic(join(opts.report, lockName), lockText);
  cell.lockfile = { name: lockName, sha256: createHash('sha256').update(lockText).digest('hex') };
  cell.mirrors = resolved.sources.map(sourceLine);
  const chrootless = join(opts.report, 'chrootless.tar');
  const reference = join(opts.report, 'reference.tar');
  const timed = async (side: 'chrootless' | 'reference', build: () => Promise<unknown>) => {
    const start = opts.clock?.();
    await build();
    if (start !== undefined) cell.seconds[side] = Math.round((opts.clock!() - start) / 100) / 10;
  };
  // One after the other: both use both cores (unpacking, compression, qemu).
  opts.log?.(`building the chrootless root (${opts.installer} installer)`);
  await timed('chrootless', () => buildRoot({ ...opts, target: chrootless }, resolved));
  opts.log?.('building the reference root (dpkg inside the root)');
  await timed('reference', () => buildRoot({ ...opts, installer: 'chroot', target: reference, emulator }, resolved));
  const decompressor = hostDecompressor();
  for (const [name, tar] of [['chrootless', chrootless], ['reference', reference]] as const) {
    await writeFileAtomic(join(opts.report, `${name}.manifest`), await manifestOf(createReadStream(tar), { file: tar }));
  }
  const referenceTree = await openTree(reference, { decompressor });
  const comparison = await compareTrees(referenceTree, await openTree(chrootless, { decompressor }));
  // Whose each differing member is: the reference's dpkg database says (dpkg wrote it there).
  const owners = await packageOwners(referenceTree, byMember(comparison.differences).keys());
  await writeFileAtomic(join(opts.report, 'report.json'), verifyReport(comparison, cell));
  await writeFileAtomic(join(opts.report, 'report.txt'), textReport(comparison));
  await writeFileAtomic(join(opts.report, 'junit.xml'), junitReport(comparison));
  await writeFileAtomic(join(opts.report, 'report.html'), htmlReport(comparison, { cell, owners }));
  return { comparison, chrootless, reference };
}
