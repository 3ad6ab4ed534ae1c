// A summary of many verify reports — the matrix (suite/variant rows × architecture columns) and its verdict.

import { CrossrootError } from '../errors.js';
import { cellName, cellRow, type CellVerdict } from './cell.js';
import type { CellReport } from './summary-load.js';

/** A cell in the summary: its report, and where the summary keeps a copy of its pages. */
export interface SummaryCell extends CellReport {
  /** The cell's name (`bookworm/essential/arm64`). */
  name: string;
  /** Its directory under the summary's output (`cells/bookworm-essential-arm64`). */
  path: string;
}

export interface Summary {
  /** different if any cell differs, else host-error if any cell could not run, else identical. */
  verdict: CellVerdict;
  counts: Record<CellVerdict, number> & { cells: number };
  /** Row labels (`bookworm/essential`) and architectures, sorted. */
  rows: string[];
  architectures: string[];
  /** Sorted by row, then architecture. */
  cells: SummaryCell[];
}

const slug = (name: string) => name.replace(/\//g, '-').replace(/[^A-Za-z0-9.+_-]/g, '_');
const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Folds cell reports into one matrix. Two reports for the same cell are a usage error: one
 * would hide the other.
 *
 * @example
 * summarize([await readCellReport('a'), await readCellReport('b')]).verdict // 'identical'
 */
export function summarize(reports: readonly CellReport[]): Summary {
  const seen = new Map<string, string>();
  const cells: SummaryCell[] = [];
  for (const r of reports) {
    const name = cellName(r.cell);
    const other = seen.get(name);
    if (other !== undefined) throw new CrossrootError('USAGE_SUMMARY_DUPLICATE', `two reports for ${name}: ${other} and ${r.dir}`);
    seen.set(name, r.dir);
    cells.push({ ...r, name, path: `cells/${slug(name)}` });
  }
  cells.sort((a, b) => byString(cellRow(a.cell), cellRow(b.cell)) || byString(a.cell.architecture, b.cell.architecture));
  const counts = { cells: cells.length, identical: 0, different: 0, 'host-error': 0 };
  for (const c of cells) counts[c.verdict]++;
  return {
    verdict: counts.different > 0 ? 'different' : counts['host-error'] > 0 ? 'host-error' : 'identical',
    counts,
    rows: [...new Set(cells.map((c) => cellRow(c.cell)))].sort(byString),
    architectures: [...new Set(cells.map((c) => c.cell.architecture))].sort(byString),
    cells,
  };
}

/**
 * The short text of a cell's verdict, as every summary format shows it.
 *
 * @example
 * verdictText(cell) // 'DIFFERENT (3 members)'
 */
export function verdictText(c: CellReport): string {
  if (c.verdict === 'identical') return 'IDENTICAL';
  if (c.verdict === 'different') return `DIFFERENT (${c.members.length} member${c.members.length === 1 ? '' : 's'})`;
  return 'HOST ERROR (not verified)';
}
