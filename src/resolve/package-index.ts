// Package index — every candidate package of the target architecture, by name and by what it provides.

import { compareVersions } from '../formats/control/version.js';
import { parseRelations, type Relation } from '../formats/control/dependency.js';
import type { PackageRecord } from '../formats/index/packages.js';

/** A package that provides a name, with the version it provides it at (if any). */
export interface Provider {
  record: PackageRecord;
  provides: Relation;
}

/**
 * The packages a resolution may choose from. Finding only (STYLE rule 12): the index returns
 * every candidate; a policy decides. Per name and architecture, apt's candidate is the
 * highest version among sources of equal priority, which is what `add` keeps.
 */
export class PackageIndex {
  readonly arch: string;
  readonly #byName = new Map<string, PackageRecord[]>();
  readonly #seedFlags = new Map<string, { essential: boolean; priority: string | undefined }>();
  // Position of each kept record's stanza in load order (apt's cache-generation order).
  readonly #loadOrder = new WeakMap<PackageRecord, number>();
  #added = 0;
  #providers: Map<string, Provider[]> | undefined;

  constructor(arch: string) {
    this.arch = arch;
  }

  /**
   * Adds a record of the target architecture or `all`; others are ignored. Records of the
   * primary suite (the one named on the command line) also decide what is Essential and
   * what is required, as mmdebstrap(1) says: updates and security only bring versions.
   * A record that is not a `candidate` only does that.
   */
  add(r: PackageRecord, primary = true, candidate = true): void {
    const position = this.#added++;
    if (r.architecture !== this.arch && r.architecture !== 'all') return;
    if (primary) this.#seedFlags.set(r.package, { essential: r.essential, priority: r.priority });
    // Not a candidate (a build from a lockfile keeps only the locked versions): it still
    // says what is Essential and required, and still takes its place in load order.
    if (!candidate) return;
    this.#loadOrder.set(r, position);
    const list = this.#byName.get(r.package);
    if (list === undefined) {
      this.#byName.set(r.package, [r]);
    } else {
      const i = list.findIndex((o) => o.architecture === r.architecture);
      if (i < 0) list.push(r);
      else if (compareVersions(r.version, list[i]!.version) > 0) list[i] = r;
    }
    this.#providers = undefined;
  }

  /** Candidates named `name` (at most one per architecture: native and/or all). */
  byName(name: string): readonly PackageRecord[] {
    return this.#byName.get(name) ?? [];
  }

  /**
   * Where `r`'s stanza came in load order: the number of stanzas added before it (sources in
   * order, each Packages file in stanza order), undefined for a record not added here. apt
   * builds its cache in this order, and some of its lists keep it (the Provides list of a
   * virtual package is newest first), so install ordering needs it.
   *
   * @example
   * index.loadOrder(index.byName('mawk')[0]!) // e.g. 31207
   */
  loadOrder(r: PackageRecord): number | undefined {
    return this.#loadOrder.get(r);
  }

  /** Candidates that list `name` in their Provides. */
  providers(name: string): readonly Provider[] {
    if (this.#providers === undefined) {
      const map = new Map<string, Provider[]>();
      for (const list of this.#byName.values()) {
        for (const record of list) {
          if (record.provides === undefined) continue;
          for (const group of parseRelations(record.provides, { field: 'Provides', context: { package: record.package } })) {
            for (const provides of group) {
              const l = map.get(provides.name);
              if (l === undefined) map.set(provides.name, [{ record, provides }]);
              else l.push({ record, provides });
            }
          }
        }
      }
      this.#providers = map;
    }
    return this.#providers.get(name) ?? [];
  }

  /** Names whose primary-suite stanza says `Essential: yes` / the given Priority, sorted. */
  seedNames(pick: (flags: { essential: boolean; priority: string | undefined }) => boolean): string[] {
    return [...this.#seedFlags].filter(([, f]) => pick(f)).map(([n]) => n).sort();
  }

  /** Every candidate, in name order. */
  *all(): Generator<PackageRecord> {
    for (const name of [...this.#byName.keys()].sort()) yield* this.#byName.get(name)!;
  }

  get size(): number {
    return this.#byName.size;
  }
}
