// Candidate policy — which satisfier apt picks for an unsatisfied OR group.

import type { Relation } from '../formats/control/dependency.js';
import type { PackageRecord } from '../formats/index/packages.js';
import type { PackageIndex } from './package-index.js';
import { findSatisfiers, type Match } from './satisfy.js';

/** A choice: the record and the alternative of the group it satisfies. */
export interface Choice {
  record: PackageRecord;
  relation: Relation;
}

/** Orders the providers of a virtual package, best first. */
export type Policy = {
  rankProviders(matches: Match[], marked: ReadonlyMap<string, PackageRecord>): Match[];
};

const PRIORITY_RANK: Record<string, number> = { required: 0, important: 1, standard: 2, optional: 3, extra: 4 };

/**
 * apt's choice for bootstrapping, as pkgDepCache::MarkInstall makes it: the alternatives of a
 * group are tried in order; the first whose name has a satisfying candidate wins; a virtual
 * alternative goes to a provider, preferring one already marked, then (pkgPrioSortList)
 * essential ones, then by Priority, then by name.
 */
export const aptPolicy: Policy = {
  rankProviders(matches, marked) {
    const rank = (m: Match) => [
      marked.get(m.record.package) === m.record ? 0 : 1,
      m.record.essential ? 0 : 1,
      PRIORITY_RANK[m.record.priority ?? 'optional'] ?? 3,
    ];
    return [...matches].sort((a, b) => {
      const ra = rank(a);
      const rb = rank(b);
      for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return ra[i]! - rb[i]!;
      return a.record.package < b.record.package ? -1 : a.record.package > b.record.package ? 1 : 0;
    });
  },
};

/** Picks the satisfier of an OR group the policy prefers, or undefined when none exists. */
export function choose(index: PackageIndex, group: Relation[], policy: Policy, marked: ReadonlyMap<string, PackageRecord>): Choice | undefined {
  for (const relation of group) {
    const matches = findSatisfiers(index, relation);
    const real = matches.filter((m) => m.via === 'name');
    if (real.length > 0) {
      const native = real.find((m) => m.record.architecture === index.arch) ?? real[0]!;
      return { record: native.record, relation };
    }
    const providers = policy.rankProviders(matches, marked);
    if (providers.length > 0) return { record: providers[0]!.record, relation };
  }
  return undefined;
}
