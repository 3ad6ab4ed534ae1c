// Seed sets — what each variant asks for before dependencies: mmdebstrap's variants.

import { CrossrootError } from '../errors.js';
import { parseRelations } from '../formats/control/dependency.js';
import type { PackageIndex } from './package-index.js';
import type { Seed } from './closure.js';
import { mmdebstrapLayout, type MmdebstrapLayout } from './mmdebstrap-layout.js';

export const VARIANTS = ['essential', 'apt', 'buildd', 'minbase'] as const;
export type Variant = (typeof VARIANTS)[number];

export function isVariant(v: string): v is Variant {
  return (VARIANTS as readonly string[]).includes(v);
}

/**
 * The seeds of a variant:
 * - essential: every `Essential: yes` candidate of the architecture (or all);
 * - apt: essential + apt;
 * - minbase (mmdebstrap's "required"): essential + every `Priority: required` candidate + apt;
 * - buildd: minbase + build-essential (mmdebstrap(1) VARIANTS); from mmdebstrap 1.4 on
 *   (`layout.builddAddsRequired` false) essential + apt + build-essential;
 * then `--include` names (`name`, `name=version`, `name:arch`), and where the suite's
 * mmdebstrap runs its merged-usr hook, `usr-is-merged` as the hook adds it. `layout` defaults
 * to bookworm's.
 */
export function variantSeeds(index: PackageIndex, variant: Variant, include: string[] = [], layout: MmdebstrapLayout = mmdebstrapLayout('bookworm')): Seed[] {
  const seeds: Seed[] = [];
  // mmdebstrap's merged-usr setup hook installs a dummy usr-is-merged before apt resolves,
  // so "usrmerge | usr-is-merged" is already satisfied, and its essential hook then installs
  // the real one. Seeding it first gives the same set.
  if (layout.mergedUsrHook && index.byName('usr-is-merged').length > 0) seeds.push({ relation: { name: 'usr-is-merged' }, reason: 'merged-usr hook' });
  const add = (text: string, reason: string) => {
    const m = /^([^=\s]+)=(\S+)$/.exec(text);
    const relText = m === null ? text : `${m[1]} (= ${m[2]})`;
    const groups = parseRelations(relText, { field: '--include' });
    if (groups.length !== 1 || groups[0]!.length !== 1) {
      throw new CrossrootError('USAGE_INCLUDE', `--include takes package names, not ${JSON.stringify(text)}`);
    }
    seeds.push({ relation: groups[0]![0]!, reason });
  };
  const required = variant === 'minbase' || (variant === 'buildd' && layout.builddAddsRequired);
  for (const name of index.seedNames((f) => f.essential)) add(name, 'Essential: yes');
  if (required) for (const name of index.seedNames((f) => !f.essential && f.priority === 'required')) add(name, 'Priority: required');
  if (variant === 'apt' || variant === 'buildd' || variant === 'minbase') add('apt', `variant ${variant}`);
  if (variant === 'buildd') add('build-essential', 'variant buildd');
  for (const i of include.flatMap((s) => s.split(/[,\s]+/)).filter(Boolean)) add(i, '--include');
  return seeds;
}
