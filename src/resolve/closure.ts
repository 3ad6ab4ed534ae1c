// Dependency closure — the set apt would mark for installation, with the relation that pulled each in.

import { CrossrootError } from '../errors.js';
import { formatRelation, parseRelations, type Relation } from '../formats/control/dependency.js';
import type { PackageRecord } from '../formats/index/packages.js';
import type { PackageIndex } from './package-index.js';
import { choose, type Policy } from './policy.js';
import { findSatisfiers, satisfiesByName } from './satisfy.js';

/** Why a package is in the set: a seed, or a relation of another package. */
export interface Reason {
  /** The package whose relation pulled this one in; undefined for a seed. */
  parent: string | undefined;
  /** The relation as written (`libc6 (>= 2.36)`), or the seed's origin (`Essential: yes`). */
  relation: string;
}

export interface Resolution {
  /** Chosen packages by name, in the order they were marked. */
  packages: Map<string, PackageRecord>;
  why: Map<string, Reason>;
}

/** A seed: a package name (optionally with version/arch) and why it is wanted. */
export interface Seed {
  relation: Relation;
  reason: string;
}

function groupsOf(r: PackageRecord): { field: string; groups: Relation[][] }[] {
  const out: { field: string; groups: Relation[][] }[] = [];
  // apt stores Pre-Depends before Depends (debListParser::NewVersion) and walks them in that order.
  if (r.preDepends !== undefined) out.push({ field: 'Pre-Depends', groups: parseRelations(r.preDepends, { field: 'Pre-Depends', context: { package: r.package } }) });
  if (r.depends !== undefined) out.push({ field: 'Depends', groups: parseRelations(r.depends, { field: 'Depends', context: { package: r.package } }) });
  return out;
}

/** The chain of relations from a seed to `name`: `build-essential -> g++ (>= 4:12.2) -> ...`. */
export function chainTo(why: Map<string, Reason>, name: string): string[] {
  const chain: string[] = [];
  let cur: string | undefined = name;
  const seen = new Set<string>();
  while (cur !== undefined && !seen.has(cur)) {
    seen.add(cur);
    const reason = why.get(cur);
    if (reason === undefined) break;
    chain.unshift(reason.parent === undefined ? cur : reason.relation);
    cur = reason.parent;
  }
  return chain;
}

/**
 * Resolves seeds to a closed set as `apt-get install SEEDS` does on an empty system: every
 * seed is marked first, then each seed's Pre-Depends and Depends are satisfied depth-first;
 * an OR group already satisfied by a marked package needs nothing more, otherwise the policy
 * chooses among the candidates of its alternatives.
 *
 * @example
 * const { packages, why } = resolveClosure(index, seeds, aptPolicy);
 */
export function resolveClosure(index: PackageIndex, seeds: Seed[], policy: Policy): Resolution {
  const packages = new Map<string, PackageRecord>();
  const why = new Map<string, Reason>();

  for (const seed of seeds) {
    const matches = index.byName(seed.relation.name).filter((r) => satisfiesByName(r, seed.relation, index.arch));
    if (matches.length === 0) {
      const exists = index.byName(seed.relation.name).length > 0;
      throw new CrossrootError(
        'RESOLVE_NOT_FOUND',
        exists ? `no candidate of ${formatRelation(seed.relation)} satisfies the request (${seed.reason})` : `package ${seed.relation.name} does not exist in the archive (${seed.reason})`,
        { package: seed.relation.name },
      );
    }
    const record = matches.find((m) => m.architecture === index.arch) ?? matches[0]!;
    if (!packages.has(record.package)) {
      packages.set(record.package, record);
      why.set(record.package, { parent: undefined, relation: seed.reason });
    }
  }

  const satisfiedByMarked = (rel: Relation) => findSatisfiers(index, rel).some((m) => packages.get(m.record.package) === m.record);
  const visiting = new Set<string>();

  const installDeps = (pkg: PackageRecord) => {
    if (visiting.has(pkg.package)) return;
    visiting.add(pkg.package);
    for (const { field, groups } of groupsOf(pkg)) {
      for (const group of groups) {
        if (group.some(satisfiedByMarked)) continue;
        const picked = choose(index, group, policy, packages);
        if (picked === undefined) {
          const chain = [...chainTo(why, pkg.package), group.map(formatRelation).join(' | ')];
          throw new CrossrootError('RESOLVE_UNSATISFIABLE', `unsatisfiable ${field}: ${chain.join(' -> ')}`, { package: pkg.package });
        }
        const existing = packages.get(picked.record.package);
        if (existing !== undefined && existing !== picked.record) {
          const chain = [...chainTo(why, pkg.package), formatRelation(picked.relation)];
          throw new CrossrootError('RESOLVE_CONFLICT', `needs another version of ${existing.package} than ${existing.version}: ${chain.join(' -> ')}`, { package: pkg.package });
        }
        if (existing === undefined) {
          packages.set(picked.record.package, picked.record);
          why.set(picked.record.package, { parent: pkg.package, relation: formatRelation(picked.relation) });
        }
        installDeps(picked.record);
      }
    }
  };
  for (const record of [...packages.values()]) installDeps(record);
  return { packages, why };
}
