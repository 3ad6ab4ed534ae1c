// How large a package's data.tar may grow when decoded — from its Installed-Size (deb-control(5):
// "an estimate of the total amount of disk space required to install the named package", in KiB).
//
// A decompression bomb (3.7 MB of .deb expanding to 24 GiB) must stop before the disk fills.
// The decoded tar is headers, padding and file bytes, close to Installed-Size (which dpkg-gencontrol
// computes as per-file KiB, so tiny files are counted at least 1 KiB against tar's 1 KiB): the
// slack allowed is generous, so that no real package meets it.

import type { Paragraph } from '../deb822/paragraph.js';

const MIB = 1024 * 1024;
/** The slack on top of Installed-Size: whichever is more, four times it or 64 MiB more. */
export const DATA_SLACK = { factor: 4, extra: 64 * MIB } as const;
/** The limit for a package that states no (or no valid) Installed-Size: dpkg-deb always writes one. */
export const DATA_CAP_WITHOUT_INSTALLED_SIZE = 4 * 1024 * MIB;

/** The limit in bytes and a sentence saying where it comes from (for the error). */
export interface DataLimit {
  bytes: number;
  why: string;
}

/**
 * The most bytes `control`'s data.tar may decode to.
 *
 * @example
 * dataTarLimit(control).bytes; // Installed-Size: 1024 → max(4 MiB, 65 MiB) = 68157440
 */
export function dataTarLimit(control: Paragraph): DataLimit {
  const field = control.get('Installed-Size')?.trim();
  if (field === undefined || !/^[0-9]{1,12}$/.test(field)) {
    return {
      bytes: DATA_CAP_WITHOUT_INSTALLED_SIZE,
      why: `the cap of ${DATA_CAP_WITHOUT_INSTALLED_SIZE / MIB} MiB for a package ${field === undefined ? 'without' : `with an invalid (${JSON.stringify(field)})`} Installed-Size`,
    };
  }
  const installed = Number(field) * 1024;
  const bytes = Math.max(DATA_SLACK.factor * installed, installed + DATA_SLACK.extra);
  return { bytes, why: `max(${DATA_SLACK.factor} × Installed-Size, Installed-Size + ${DATA_SLACK.extra / MIB} MiB) for Installed-Size ${field} KiB` };
}
