// Resolving a suite — sources, verified indices, closure and order, as `crossroot resolve` runs it.

import { CrossrootError } from '../errors.js';
import type { PackageRecord } from '../formats/index/packages.js';
import { Cache } from '../repository/cache.js';
import type { FetchPolicy } from '../repository/fetch.js';
import { loadArchive } from '../repository/load.js';
import { DEFAULT_KEYRING, keyringFiles } from '../repository/signature.js';
import { hostSources, parseMirrorArgument, sourcesForSuite, type SourceEntry } from '../repository/sources.js';
import { resolveClosure, type Resolution, type Seed } from '../resolve/closure.js';
import type { Lock } from '../resolve/lockfile.js';
import type { PackageIndex } from '../resolve/package-index.js';
import { installPlan, type InstallPlan } from '../resolve/order.js';
import { aptPolicy } from '../resolve/policy.js';
import { variantSeeds, type Variant } from '../resolve/seeds.js';
import { mmdebstrapLayout, type MmdebstrapLayout } from '../resolve/mmdebstrap-layout.js';

export interface ResolveOptions {
  suite: string;
  arch: string;
  variant: Variant;
  include: string[];
  /** Mirror arguments; empty = the host's apt sources for the suite. */
  mirrors: string[];
  components: string[] | undefined;
  keyrings: string[] | undefined;
  /** WARNING: skips signature checks (digests are still checked). */
  insecure: boolean;
  /** WARNING: accepts Releases past their Valid-Until (a replayed Release); not implied by `insecure`. */
  ignoreReleaseExpiry?: boolean;
  /** Timeouts and retries for the mirror (default: 30 s, 3 retries). */
  fetch?: FetchPolicy;
  cache: Cache;
  /** Told about every source whose signature is not checked. */
  warn?: (message: string) => void;
  /**
   * Install exactly this lock's packages: only they are candidates, and the result must be
   * the locked set (suite, architecture, variant and includes must be the lock's).
   */
  lock?: Lock;
  /** The lockfile's name, for messages. */
  lockFile?: string;
}

const lockKey = (p: { package: string; version: string; architecture: string; sha256: string }) => `${p.package} ${p.version} ${p.architecture} ${p.sha256}`;

/** The lock's suite, architecture, variant and includes must be the ones asked for. */
function checkLockMatches(lock: Lock, opts: ResolveOptions, file: string): void {
  const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
  const mismatch = (what: string, lockValue: string, asked: string) =>
    new CrossrootError('USAGE_LOCK', `the lock is for ${what} ${lockValue || '(none)'}, not ${asked || '(none)'}`, { file });
  if (lock.suite !== opts.suite) throw mismatch('suite', lock.suite, opts.suite);
  if (!same(lock.architectures, [opts.arch])) throw mismatch('architecture', lock.architectures.join(' '), opts.arch);
  if (lock.variant !== opts.variant) throw mismatch('variant', lock.variant, opts.variant);
  if (!same(lock.include, opts.include)) throw mismatch('includes', lock.include.join(' '), opts.include.join(' '));
}

export interface Resolved {
  index: PackageIndex;
  resolution: Resolution;
  /** The packages in install order: stage 1, the merged-usr hook's, stage 2. */
  ordered: PackageRecord[];
  plan: InstallPlan;
  /** What the variant asked for, before dependencies (apt's manually installed packages). */
  seeds: Seed[];
  lock: Lock;
  /** What the suite's own mmdebstrap does (its Release's Codename). */
  layout: MmdebstrapLayout;
  sources: SourceEntry[];
}

/** Turns mirror arguments (or the host's apt sources) into source entries for a suite. */
export async function sourceEntries(opts: Pick<ResolveOptions, 'suite' | 'mirrors' | 'components'>): Promise<SourceEntry[]> {
  const components = opts.components ?? ['main'];
  if (opts.mirrors.length > 0) return opts.mirrors.flatMap((m) => parseMirrorArgument(m, opts.suite, components));
  const entries = sourcesForSuite(await hostSources(), opts.suite, opts.components ?? ['main']);
  if (entries.length === 0) {
    throw new CrossrootError('USAGE_MIRROR', 'no mirror given and the host has no apt sources (deb lines in /etc/apt/sources.list{,.d}): pass one, e.g. "deb URI SUITE main"');
  }
  return entries;
}

/**
 * Resolves a variant of a suite for an architecture into a locked, ordered package set.
 *
 * @example
 * const r = await resolveSuite({ suite: 'bookworm', arch: 'arm64', variant: 'essential', ... });
 * r.lock.packages.length;
 */
export async function resolveSuite(opts: ResolveOptions): Promise<Resolved> {
  const sources = await sourceEntries(opts);
  const keyrings = await keyringFiles(opts.keyrings ?? [DEFAULT_KEYRING]);
  const lock = opts.lock;
  if (lock !== undefined) checkLockMatches(lock, opts, opts.lockFile ?? 'lockfile');
  const locked = lock === undefined ? undefined : new Set(lock.packages.map(lockKey));
  const { index, sources: opened } = await loadArchive(sources, opts.arch, {
    candidate: locked === undefined ? undefined : (r) => locked.has(lockKey(r)),
    suite: opts.suite,
    cache: opts.cache,
    keyrings,
    insecure: opts.insecure,
    onUnverified: (uri, why) => opts.warn?.(`WARNING: signature of ${uri} NOT checked (${why})`),
    ignoreExpiry: opts.ignoreReleaseExpiry === true,
    onExpiryIgnored: (uri, why) => opts.warn?.(`${opts.ignoreReleaseExpiry === true ? 'WARNING' : 'note'}: ${uri}: ${why}`),
    fetch: opts.fetch,
    onSkipped: (source, why) => opts.warn?.(`note: skipping ${source}: ${why}, as apt does`),
  });
  // Every locked file must be in the mirror's index (a newer version there does not do).
  for (const p of lock?.packages ?? []) {
    if (!index.byName(p.package).some((r) => lockKey(r) === lockKey(p))) {
      throw new CrossrootError('RESOLVE_LOCK', `${p.package} ${p.version} (${p.architecture}, SHA256 ${p.sha256}) is locked but not in the mirror's index`, { package: p.package });
    }
  }
  const primary = opened.find((s) => s.entry.suite === opts.suite) ?? opened[0]!;
  const layout = mmdebstrapLayout(primary.release.codename ?? opts.suite);
  const seeds = variantSeeds(index, opts.variant, opts.include, layout);
  const resolution = resolveClosure(index, seeds, aptPolicy);
  // Stage 1 is the essential (or apt) set alone; the rest comes in mmdebstrap's second apt call.
  const stage1Variant = opts.variant === 'apt' && layout.aptInStage1 ? 'apt' : 'essential';
  const stage1 =
    opts.variant === stage1Variant && opts.include.length === 0 ? undefined : resolveClosure(index, variantSeeds(index, stage1Variant, [], layout), aptPolicy).packages;
  const plan = installPlan(index, resolution, {
    variant: opts.variant,
    stage1,
    // The hook installs usr-is-merged: an archive without it (a small local one) gets no hook.
    mergedUsr: layout.mergedUsrHook && index.byName('usr-is-merged').length > 0,
    aptInStage1: layout.aptInStage1,
  });
  const byName = (name: string) => resolution.packages.get(name) ?? stage1?.get(name);
  const later = [...(plan.mergedUsr?.unpack ?? []), ...(plan.stage2?.unpack ?? [])].map((n) => {
    const r = byName(n);
    if (r === undefined) throw new CrossrootError('RESOLVE_ORDER', `the install plan names ${n}, which is not in the set`, { package: n });
    return r;
  });
  const ordered = [...plan.stage1.records, ...later];
  if (lock !== undefined) {
    // The closure over the locked packages must be the lock.
    const got = new Set(ordered.map(lockKey));
    const missing = lock.packages.filter((p) => !got.has(lockKey(p))).map((p) => p.package);
    const extra = ordered.filter((r) => !locked!.has(lockKey(r))).map((r) => r.package);
    if (missing.length > 0 || extra.length > 0) {
      throw new CrossrootError(
        'RESOLVE_LOCK',
        `the lock is not a closed set for ${opts.variant}: ${[...missing.map((n) => `${n} is locked but not needed`), ...extra.map((n) => `${n} is needed but not locked`)].join('; ')}`,
      );
    }
  }
  return {
    index,
    resolution,
    ordered,
    plan,
    seeds,
    sources,
    layout,
    lock: {
      suite: opts.suite,
      architectures: [opts.arch],
      variant: opts.variant,
      include: opts.include,
      releaseDate: primary.release.date,
      packages: ordered.map((r) => ({
        package: r.package,
        version: r.version,
        architecture: r.architecture,
        filename: r.filename,
        size: r.size,
        sha256: r.sha256,
      })),
    },
  };
}
