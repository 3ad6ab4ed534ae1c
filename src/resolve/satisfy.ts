// Relation satisfaction — deb-control(5) relations against candidates, with Multi-Arch and Provides.

import type { Relation } from '../formats/control/dependency.js';
import { satisfiesConstraint } from '../formats/control/version.js';
import type { PackageRecord } from '../formats/index/packages.js';
import type { PackageIndex } from './package-index.js';

/** How a candidate satisfies a relation: by being the package, or by providing it. */
export interface Match {
  record: PackageRecord;
  via: 'name' | 'provides';
}

/**
 * Whether `r` satisfies `rel` by name, on a single-architecture system whose native
 * architecture is the index's (`all` counts as native). `:any` needs `Multi-Arch: allowed`,
 * as dpkg and apt require; `:native` and the native architecture's name need a native one.
 */
export function satisfiesByName(r: PackageRecord, rel: Relation, native: string): boolean {
  if (r.package !== rel.name) return false;
  if (rel.arch === 'any') {
    if (r.multiArch !== 'allowed') return false;
  } else if (rel.arch !== undefined && rel.arch !== 'native' && rel.arch !== native) {
    return false;
  }
  return rel.constraint === undefined || satisfiesConstraint(r.version, rel.constraint.op, rel.constraint.version);
}

/**
 * Every candidate that satisfies a relation: real packages first (in index order), then
 * providers. A versioned relation is satisfied only by a versioned Provides (Policy 7.5).
 *
 * @example
 * findSatisfiers(index, parseRelations('awk')[0]![0]!) // [{ record: mawk, via: 'provides' }]
 */
export function findSatisfiers(index: PackageIndex, rel: Relation): Match[] {
  const out: Match[] = [];
  for (const r of index.byName(rel.name)) if (satisfiesByName(r, rel, index.arch)) out.push({ record: r, via: 'name' });
  if (rel.arch !== undefined && rel.arch !== 'native' && rel.arch !== index.arch && rel.arch !== 'any') return out;
  for (const p of index.providers(rel.name)) {
    if (rel.arch === 'any' && p.record.multiArch !== 'allowed' && p.record.multiArch !== 'foreign') continue;
    if (rel.constraint !== undefined) {
      const pv = p.provides.constraint;
      if (pv === undefined || pv.op !== '=' || !satisfiesConstraint(pv.version, rel.constraint.op, rel.constraint.version)) continue;
    }
    out.push({ record: p.record, via: 'provides' });
  }
  return out;
}
