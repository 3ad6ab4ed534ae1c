// summary.json — the matrix for machines (version 1; the schema is in README.md, "summary.json").

import type { Summary } from './summary.js';

/** The summary's version: bumped when a field changes meaning. */
export const SUMMARY_VERSION = 1;

/**
 * summary.json: the overall verdict, the counts, the matrix's rows and columns and every
 * cell, sorted by row and architecture; pretty-printed, keys in a fixed order.
 *
 * @example
 * JSON.parse(summaryJson(s)).counts.different // 1
 */
export function summaryJson(s: Summary): string {
  const doc = {
    version: SUMMARY_VERSION,
    verdict: s.verdict,
    counts: s.counts,
    rows: s.rows,
    architectures: s.architectures,
    cells: s.cells.map((c) => ({
      name: c.name,
      suite: c.cell.suite,
      architecture: c.cell.architecture,
      variant: c.cell.variant,
      include: c.cell.include,
      verdict: c.verdict,
      differing: c.verdict === 'host-error' ? null : c.members.length,
      differences: c.differences,
      members: c.members,
      error: c.error,
      report: c.verdict === 'host-error' ? null : `${c.path}/report.html`,
      json: `${c.path}/report.json`,
      mirrors: c.cell.mirrors,
      lockfile: c.cell.lockfile,
      crossroot: c.cell.crossroot,
      seconds: c.cell.seconds,
    })),
  };
  return JSON.stringify(doc, null, 2) + '\n';
}
