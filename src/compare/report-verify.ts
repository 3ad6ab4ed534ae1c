// A verify report.json — compare's JSON report (report-json.ts) plus the matrix cell it is about, or why the cell could not run.
//
// A verify report directory's report.json is compare's JSON report (version 1) with two more
// fields, "verdict" and "cell":
// {
//   "version": 1,
//   "verdict": "identical"|"different",
//   "cell": CELL,
//   "identical": ..., "a": ..., "b": ..., "summary": ..., "differences": ...   (report-json.ts)
// }
// When verify stops because the host lacks something (an error coded HOST_*, exit 4), it
// still writes report.json, without the comparison:
// { "version": 1, "verdict": "host-error", "cell": CELL, "error": { "code": string, "message": string } }
// CELL = { "suite": string, "architecture": string, "variant": string, "include": [string],
//          "mirrors": ["deb URI SUITE COMPONENT...", ...],
//          "lockfile": { "name": string, "sha256": hex } | null   (sha256 of the lockfile's text),
//          "crossroot": string   (package.json version),
//          "seconds": { "chrootless": number|null, "reference": number|null },
//          "emulator": { "kind": "native"|"host"|"archive", "package": string|null,
//                        "version": string|null, "path": string|null, "origin": string } | null }
//          (emulator: which qemu-user ran the reference — "host": the host's binfmt_misc entry
//          named in origin; "archive": the .deb at origin, registered for that build only)

import type { Cell } from './cell.js';
import type { Comparison } from './compare.js';
import { JSON_REPORT_VERSION, jsonReportDocument } from './report-json.js';

/**
 * report.json of a verify that compared both roots.
 *
 * @example
 * JSON.parse(verifyReport(c, cell)).verdict // 'identical'
 */
export function verifyReport(c: Comparison, cell: Cell): string {
  const { version, ...rest } = jsonReportDocument(c);
  return JSON.stringify({ version, verdict: c.identical ? 'identical' : 'different', cell, ...rest }, null, 2) + '\n';
}

/**
 * report.json of a verify the host could not carry out (exit 4): the cell and the message.
 *
 * @example
 * JSON.parse(hostErrorReport(cell, { code: 'HOST_NO_EMULATION', message: '...' })).verdict // 'host-error'
 */
export function hostErrorReport(cell: Cell, error: { code: string; message: string }): string {
  return JSON.stringify({ version: JSON_REPORT_VERSION, verdict: 'host-error', cell, error: { code: error.code, message: error.message } }, null, 2) + '\n';
}
