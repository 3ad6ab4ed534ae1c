// Reading a verify report for a summary — report.json of a report directory (schema: report-verify.ts), checked field by field.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CrossrootError } from '../errors.js';
import type { Cell, CellVerdict } from './cell.js';

/** One cell as a summary sees it. */
export interface CellReport {
  /** The report directory as given. */
  dir: string;
  cell: Cell;
  verdict: CellVerdict;
  /** Members with a difference, in report order (empty for identical and host-error cells). */
  members: string[];
  /** Differences in all (0 for identical, null for host-error). */
  differences: number | null;
  /** Why the cell could not be verified (host-error only). */
  error: { code: string; message: string } | null;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
const isSeconds = (v: unknown) => v === null || (typeof v === 'number' && Number.isFinite(v) && v >= 0);

function parseCell(v: unknown, bad: (why: string) => CrossrootError): Cell {
  if (!isObject(v)) throw bad('no "cell" object (a compare report, or one from a crossroot that did not record cells)');
  for (const k of ['suite', 'architecture', 'variant', 'crossroot'] as const) {
    if (typeof v[k] !== 'string' || v[k] === '') throw bad(`cell.${k} is not a non-empty string`);
  }
  if (!isStrings(v.include)) throw bad('cell.include is not a list of strings');
  if (!isStrings(v.mirrors)) throw bad('cell.mirrors is not a list of strings');
  const lock = v.lockfile;
  if (lock !== null && !(isObject(lock) && typeof lock.name === 'string' && typeof lock.sha256 === 'string' && /^[0-9a-f]{64}$/.test(lock.sha256))) {
    throw bad('cell.lockfile is neither null nor { "name", "sha256" }');
  }
  const s = v.seconds;
  if (!isObject(s) || !isSeconds(s.chrootless) || !isSeconds(s.reference)) throw bad('cell.seconds is not { "chrootless", "reference" } (numbers or null)');
  return {
    suite: v.suite as string,
    architecture: v.architecture as string,
    variant: v.variant as string,
    include: v.include,
    mirrors: v.mirrors,
    lockfile: lock === null ? null : { name: (lock as Json).name as string, sha256: (lock as Json).sha256 as string },
    crossroot: v.crossroot as string,
    seconds: { chrootless: s.chrootless as number | null, reference: s.reference as number | null },
  };
}

/**
 * Reads `DIR/report.json`, as `crossroot verify` writes it. A missing, unreadable or
 * malformed report is a FORMAT_SUMMARY_REPORT error (exit 3) naming the file.
 *
 * @example
 * (await readCellReport('reports/bookworm-arm64-essential')).verdict // 'identical'
 */
export async function readCellReport(dir: string): Promise<CellReport> {
  const file = join(dir, 'report.json');
  const bad = (why: string) => new CrossrootError('FORMAT_SUMMARY_REPORT', why, { file });
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw bad(code === 'ENOENT' ? 'missing: no report.json in this report directory (did crossroot verify run there, and finish?)' : `cannot read: ${code ?? (err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw bad(`not JSON: ${(err as Error).message}`);
  }
  if (!isObject(doc)) throw bad('not a JSON object');
  if (doc.version !== 1) throw bad(`report version ${JSON.stringify(doc.version)}, not 1`);
  const cell = parseCell(doc.cell, bad);
  if (doc.verdict === 'host-error') {
    const e = doc.error;
    if (!isObject(e) || typeof e.code !== 'string' || typeof e.message !== 'string') throw bad('a host-error report without { "code", "message" } in "error"');
    return { dir, cell, verdict: 'host-error', members: [], differences: null, error: { code: e.code, message: e.message } };
  }
  if (doc.verdict !== 'identical' && doc.verdict !== 'different') throw bad(`verdict ${JSON.stringify(doc.verdict)} is none of identical, different, host-error`);
  const diffs = doc.differences;
  if (!Array.isArray(diffs) || !diffs.every((d) => isObject(d) && typeof d.member === 'string')) throw bad('"differences" is not a list of { "member", ... }');
  if ((doc.verdict === 'identical') !== (diffs.length === 0) || doc.identical !== (doc.verdict === 'identical')) {
    throw bad(`verdict ${doc.verdict as string} disagrees with its ${diffs.length} differences`);
  }
  const members = [...new Set(diffs.map((d) => (d as Json).member as string))];
  return { dir, cell, verdict: doc.verdict, members, differences: diffs.length, error: null };
}
