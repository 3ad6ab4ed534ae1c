// Seeded random package universes for the configure-order tests: small dependency graphs with cycles, alternatives, Provides, versions, missing packages, missing postinsts and triggers.
import type { RelationField } from '../../src/install/configure-plan.js';
import type { SyntheticSpec } from './configure-oracle.js';

/** How the universe is installed after its interested packages. */
export type UniverseMode = 'install' | 'install-forced' | 'pending' | 'pending-forced' | 'pending-notrig';

export interface Universe {
  seed: number;
  /** Packages with trigger interests, installed (with --force-depends) first. */
  interested: SyntheticSpec[];
  /** The rest, in argument order. */
  packages: SyntheticSpec[];
  mode: UniverseMode;
}

// The same generator as test/formats/control-oracles.ts `seededRandom` (mulberry32).
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The universe of `seed`: 5–12 packages `u<seed>-p<i>`, each with up to two dependency
 * groups (Pre-Depends or Depends; sometimes two alternatives, sometimes versioned) on other
 * packages, on two virtual names or on a missing package; a quarter provide a virtual name
 * (some with a version), a quarter have no postinst, some activate one of two triggers in
 * which two interested packages (`u<seed>-int<i>`) are interested.
 */
export function universe(seed: number): Universe {
  const r = seededRandom(seed);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const n = 5 + Math.floor(r() * 8);
  const tag = `u${seed}`;
  const names = Array.from({ length: n }, (_, i) => `${tag}-p${i}`);
  const virt = [`${tag}-v0`, `${tag}-v1`];
  const trig = [`${tag}-t0`, `${tag}-t1`];
  const version = (): string => String(1 + Math.floor(r() * 3));
  const specs: SyntheticSpec[] = names.map((name) => ({ name, version: version(), relations: [], postinst: r() < 0.75 }));
  for (const s of specs) {
    const relations: [RelationField, string][] = [];
    if (r() < 0.25) relations.push(['Provides', r() < 0.5 ? pick(virt) : `${pick(virt)} (= ${version()})`]);
    const groups: string[] = [];
    const k = Math.floor(r() * 3);
    for (let g = 0; g < k; g++) {
      const alts: string[] = [];
      const m = r() < 0.2 ? 2 : 1;
      for (let a = 0; a < m; a++) {
        const x = r();
        let target = x < 0.75 ? pick(names) : x < 0.9 ? pick(virt) : `${tag}-missing`;
        if (target === s.name && r() < 0.7) target = pick(names);
        alts.push(r() < 0.15 ? `${target} (>= ${version()})` : target);
      }
      groups.push(alts.join(' | '));
    }
    if (groups.length > 0) {
      if (r() < 0.25) relations.push(['Pre-Depends', groups.shift()!]);
      if (groups.length > 0) relations.push(['Depends', groups.join(', ')]);
    }
    s.relations = relations;
    if (r() < 0.3) s.triggers = `${pick(['activate', 'activate-noawait', 'activate-await'])} ${pick(trig)}\n`;
  }
  const interested: SyntheticSpec[] = trig.map((t, i) => ({
    name: `${tag}-int${i}`,
    relations: r() < 0.3 ? [['Depends', pick([...names, `${tag}-missing`])]] : [],
    postinst: true,
    triggers: `${pick(['interest', 'interest-noawait', 'interest-await'])} ${t}\n`,
  }));
  const order = [...specs];
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const mode = pick<UniverseMode>(['install', 'install-forced', 'pending', 'pending-forced', 'pending-notrig']);
  return { seed, interested, packages: order, mode };
}
