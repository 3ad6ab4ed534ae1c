// Diversions and stat overrides as dpkg reads them — dpkg 1.21.23 `lib/dpkg/db-fsys-divert.c`
// (ensure_diversions) and `lib/dpkg/db-fsys-override.c` (ensure_statoverrides).
//
// Both files belong to host helpers (dpkg-divert, dpkg-statoverride) that maintainer
// scripts run against DPKG_ADMINDIR; dpkg only reads them — diversions again after every
// maintainer script (post_script_tasks). crossroot's database writer never writes them.
// - `diversions`: records of three lines: the diverted name, the name used instead, and
//   the diverting package (`:` for a local diversion); names normalised like file names
//   in the file database (one leading `/`).
// - `statoverride`: `USER GROUP MODE PATH` lines (MODE in octal); a later line for the
//   same path replaces an earlier one.

import { normalizeDbPath } from './info-db.js';

export interface Diversion {
  /** The diverted (original) name. */
  from: string;
  /** The name the other packages' file is installed under. */
  to: string;
  /** The diverting package, or undefined for a local diversion (`:`). */
  package?: string;
}

export class AdminFileError extends Error {}

/**
 * Parses a `diversions` file.
 *
 * @example
 * parseDiversions('/bin/sh\n/bin/sh.distrib\ndash\n') // [{ from: '/bin/sh', to: '/bin/sh.distrib', package: 'dash' }]
 */
export function parseDiversions(text: string): Diversion[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines.pop() !== '') throw new AdminFileError('diversions: too-long line or missing newline');
  if (lines.length % 3 !== 0) throw new AdminFileError('diversions: unexpected end of file');
  const out: Diversion[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < lines.length; i += 3) {
    const from = normalizeDbPath(lines[i]!);
    const to = normalizeDbPath(lines[i + 1]!);
    const owner = lines[i + 2]!;
    if (seen.has(from) || seen.has(to)) throw new AdminFileError(`conflicting diversions involving '${from}' or '${to}'`);
    seen.add(from);
    seen.add(to);
    out.push({ from, to, package: owner === ':' ? undefined : owner.toLowerCase() });
  }
  return out;
}

export interface StatOverride {
  user: string;
  group: string;
  mode: number;
  path: string;
}

/** Parses a `statoverride` file; the last line for a path wins. */
export function parseStatOverrides(text: string): Map<string, StatOverride> {
  const out = new Map<string, StatOverride>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const m = /^(\S+) (\S+) ([0-7]+) (.+)$/.exec(line);
    if (m === null) throw new AdminFileError(`statoverride: syntax error in line '${line}'`);
    const path = normalizeDbPath(m[4]!);
    out.set(path, { user: m[1]!, group: m[2]!, mode: Number.parseInt(m[3]!, 8), path });
  }
  return out;
}
