// One package instance in the in-core dpkg database — dpkg 1.21.23 `lib/dpkg/dpkg-db.h`
// struct pkginfo (with its trigger links, `lib/dpkg/triglib.h` struct trigaw), and the
// name rules of `lib/dpkg/pkg-show.c` (pkgbin_name, pkg_sorter_by_nonambig_name_arch).

import { blankPkgBin, rank, type EFlag, type PkgBin, type PkgStatus, type Want } from './package.js';
import type { DbVersion } from './version.js';

/** struct trigaw: `aw` awaits the processing of `pend`'s triggers. `aw` is cleared, not unlinked, when it stops caring. */
export interface TrigAw {
  aw: PkgInfo | null;
  pend: PkgInfo;
}

/** When to qualify a package name with its architecture (enum pkg_name_arch_when). */
export type NameArchWhen = 'never' | 'same' | 'nonambig' | 'foreign' | 'always';

/** struct pkginfo. */
export class PkgInfo {
  /** The set's name (lowercase). */
  readonly name: string;
  want: Want = 'unknown';
  eflag: EFlag = 'ok';
  status: PkgStatus = 'not-installed';
  configVersion?: DbVersion;
  /** Belong to the package, not to a version (pkg->section, pkg->priority). */
  section?: string;
  priority?: string;
  installed: PkgBin = blankPkgBin();
  available: PkgBin = blankPkgBin();
  /** Pending triggers, in memory order: dpkg prepends (trig_note_pend_core). */
  trigpend: string[] = [];
  /** Packages whose triggers this one awaits (aw->trigaw, a tail-linked list). */
  trigaw: TrigAw[] = [];
  /** Awaiters of this package's triggers (pend->othertrigaw_head, prepended). */
  othertrigaw: TrigAw[] = [];

  constructor(name: string) {
    this.name = name;
  }

  setStatus(s: PkgStatus): void {
    this.status = s;
  }

  isAtLeast(s: PkgStatus): boolean {
    return rank(this.status) >= rank(s);
  }
}

/** pkgbin_name_needs_arch(). `nativeArch` decides what "foreign" means. */
export function nameNeedsArch(bin: PkgBin, when: NameArchWhen, nativeArch: string): boolean {
  if (bin.arch === undefined || bin.arch === '') return false;
  switch (when) {
    case 'never':
      return false;
    case 'same':
      return bin.multiarch === 'same';
    case 'nonambig':
      if (bin.multiarch === 'same') return true;
      return bin.arch !== nativeArch && bin.arch !== 'all';
    case 'foreign':
      return bin.arch !== nativeArch && bin.arch !== 'all';
    case 'always':
      return true;
  }
}

/** pkgbin_name(): `name` or `name:arch`. */
export function pkgBinName(pkg: PkgInfo, bin: PkgBin, when: NameArchWhen, nativeArch: string): string {
  return nameNeedsArch(bin, when, nativeArch) ? `${pkg.name}:${bin.arch}` : pkg.name;
}

/** strcmp() on byte strings (latin1 `string`s compare by code unit, which is the byte). */
export function byteCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * pkg_sorter_by_nonambig_name_arch(): by name, then unqualified instances before
 * qualified ones, qualified ones by architecture name.
 */
export function compareByNonambigNameArch(a: PkgInfo, b: PkgInfo, nativeArch: string): number {
  const byName = byteCompare(a.name, b.name);
  if (byName !== 0) return byName;
  if (a.installed.arch === b.installed.arch) return 0;
  if (nameNeedsArch(a.installed, 'nonambig', nativeArch)) {
    return nameNeedsArch(b.installed, 'nonambig', nativeArch) ? byteCompare(a.installed.arch!, b.installed.arch!) : 1;
  }
  return -1;
}
