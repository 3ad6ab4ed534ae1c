// Install order against apt itself: the dpkg calls mmdebstrap and apt really made (test/support/real-debs.ts) are the oracle.
//
// realDebs runs mmdebstrap with a record-only dpkg that logs every call: mmdebstrap's one
// stage-1 `dpkg --install --force-depends` with the debs in apt's DPkg::Pre-Install-Pkgs order,
// then, per later apt run (the merged-usr hook's `apt-get install usr-is-merged`, buildd's
// `apt-get install build-essential ?priority(required)`, `--include`), apt's `--unpack` /
// `--configure` calls up to its closing `--configure --pending`. installPlan must give the same
// calls, argument for argument, from the archive index and the resolved sets alone.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PackageRecord } from '../../src/formats/index/packages.js';
import { Cache } from '../../src/repository/cache.js';
import { loadArchive } from '../../src/repository/load.js';
import { DEFAULT_KEYRING } from '../../src/repository/signature.js';
import { hostSources, sourcesForSuite } from '../../src/repository/sources.js';
import { resolveClosure, type Resolution } from '../../src/resolve/closure.js';
import { installPlan, type AptRun, type InstallPlan } from '../../src/resolve/order.js';
import type { PackageIndex } from '../../src/resolve/package-index.js';
import { aptPolicy } from '../../src/resolve/policy.js';
import { variantSeeds, type Variant } from '../../src/resolve/seeds.js';
import { REPO_ROOT } from '../support/cli.js';
import { realDebs, type DpkgCall, type RealDebsOptions } from '../support/real-debs.js';

// A first run downloads the archive indices and runs mmdebstrap (buildd: three apt calls).
const TIMEOUT = 15 * 60_000;
const ARCHIVE_CACHE = join(REPO_ROOT, '.cache', 'archive');

const indexes = new Map<string, Promise<PackageIndex>>();

// The host's mirror serves a bookworm-security i386 index that does not match its InRelease
// (see test/resolve/mmdebstrap-sets.test.ts); for i386 both sides leave that suite out.
const WITHOUT_SECURITY = new Set(['i386']);

/** bookworm main (+ -updates, -security) for `arch`, from the host's mirror, loaded once per test file. */
function bookworm(arch: string): Promise<PackageIndex> {
  let p = indexes.get(arch);
  if (p === undefined) {
    p = (async () => {
      const entries = sourcesForSuite(await hostSources(), 'bookworm', ['main']).filter(
        (e) => !(WITHOUT_SECURITY.has(arch) && e.suite.endsWith('-security')),
      );
      const { index } = await loadArchive(entries, arch, {
        suite: 'bookworm',
        cache: new Cache(ARCHIVE_CACHE),
        keyrings: [DEFAULT_KEYRING],
        insecure: false,
      });
      return index;
    })();
    indexes.set(arch, p);
  }
  return p;
}

function resolve(index: PackageIndex, variant: Variant): Resolution {
  return resolveClosure(index, variantSeeds(index, variant), aptPolicy);
}

/** One dpkg call as the comparison sees it: what dpkg is asked to do, with exactly which arguments. */
interface StepView {
  action: 'unpack' | 'configure' | 'configure-pending';
  recursive: boolean;
  arguments: string[];
}

function recordedStep(c: DpkgCall): StepView {
  if (c.action === 'configure') {
    return c.pending ? { action: 'configure-pending', recursive: false, arguments: [] } : { action: 'configure', recursive: false, arguments: c.packages };
  }
  if (c.action === 'unpack') return { action: 'unpack', recursive: c.args.includes('--recursive'), arguments: c.debs };
  throw new Error(`apt made an unexpected dpkg call: ${c.args.join(' ')}`);
}

function plannedSteps(run: AptRun | undefined): StepView[] {
  return (run?.steps ?? []).map((s) => ({ action: s.action, recursive: s.recursive, arguments: s.arguments }));
}

/** The recorded calls cut into mmdebstrap's stage-1 call and apt's later runs (each ends with `--configure --pending`). */
function splitCalls(calls: DpkgCall[]): { stage1: DpkgCall; aptRuns: DpkgCall[][] } {
  const stage1 = calls.filter((c) => c.action === 'install' && c.args.includes('--force-depends'));
  expect(stage1, 'mmdebstrap makes exactly one dpkg --install --force-depends call').toHaveLength(1);
  const aptRuns: DpkgCall[][] = [];
  let cur: DpkgCall[] = [];
  for (const c of calls.slice(calls.indexOf(stage1[0]!) + 1)) {
    cur.push(c);
    if (c.action === 'configure' && c.pending) {
      aptRuns.push(cur);
      cur = [];
    }
  }
  expect(cur, 'every apt run ends with dpkg --configure --pending').toEqual([]);
  return { stage1: stage1[0]!, aptRuns };
}

/** Where two orders differ, for the failure message: each differing position, then what only one side has. */
function orderDifference(got: readonly string[], want: readonly string[]): string {
  const lines: string[] = [];
  for (let i = 0; i < Math.max(got.length, want.length); i++) {
    if (got[i] !== want[i]) lines.push(`  position ${i}: planned ${got[i] ?? '(nothing)'}, apt ${want[i] ?? '(nothing)'}`);
  }
  const g = new Set(got);
  const w = new Set(want);
  const onlyPlanned = got.filter((x) => !w.has(x));
  const onlyApt = want.filter((x) => !g.has(x));
  if (onlyPlanned.length > 0) lines.push(`  only planned: ${onlyPlanned.join(' ')}`);
  if (onlyApt.length > 0) lines.push(`  only apt: ${onlyApt.join(' ')}`);
  return lines.length === 0 ? 'same order' : `${lines.length} differences:\n${lines.slice(0, 40).join('\n')}`;
}

function expectSameSteps(planned: StepView[], recorded: StepView[], what: string): void {
  const flat = (steps: StepView[]) => steps.flatMap((s, i) => [`#${i} ${s.action}${s.recursive ? ' --recursive' : ''}`, ...s.arguments]);
  expect(planned, `${what}\n${orderDifference(flat(planned), flat(recorded))}`).toEqual(recorded);
}

function expectStage1(plan: InstallPlan, stage1: DpkgCall, what: string): void {
  // The names first (the readable part), then the exact .deb files (versions included).
  expect(plan.stage1.unpack, `${what}: package order\n${orderDifference(plan.stage1.unpack, stage1.packages)}`).toEqual(stage1.packages);
  expect(plan.stage1.debs, `${what}: .deb files\n${orderDifference(plan.stage1.debs, stage1.debs)}`).toEqual(stage1.debs);
}

const MAIN_CASES: { arch: string; variants: Variant[] }[] = [
  { arch: 'amd64', variants: ['essential', 'apt', 'buildd'] },
  { arch: 'arm64', variants: ['essential', 'apt', 'buildd'] },
  { arch: 'i386', variants: ['essential', 'buildd'] },
];

describe('installPlan reproduces apt and mmdebstrap (bookworm, merged-usr hook)', () => {
  for (const { arch, variants } of MAIN_CASES) {
    for (const variant of variants) {
      const oracle: RealDebsOptions = { suite: 'bookworm', arch, variant: variant as RealDebsOptions['variant'], withoutSecurity: WITHOUT_SECURITY.has(arch) };

      async function planAndRecord(): Promise<{ plan: InstallPlan; stage1: DpkgCall; aptRuns: DpkgCall[][] }> {
        const index = await bookworm(arch);
        const resolution = resolve(index, variant);
        // buildd's stage 1 is the Essential set; its second apt call brings the rest.
        const stage1 = variant === 'buildd' ? resolve(index, 'essential').packages : undefined;
        const plan = installPlan(index, resolution, { variant, stage1 });
        const { calls } = await realDebs(oracle);
        return { plan, ...splitCalls(calls) };
      }

      it(`${arch} ${variant}: stage 1 in apt's Pre-Install-Pkgs order, as mmdebstrap's dpkg --install gets it`, { timeout: TIMEOUT }, async () => {
        const { plan, stage1 } = await planAndRecord();
        expectStage1(plan, stage1, `${arch} ${variant} stage 1`);
        expect(plan.stage1.records.map((r) => r.package)).toEqual(plan.stage1.unpack);
      });

      if (variant === 'apt') {
        it(`${arch} apt: dist-upgrade replaces the dummy usr-is-merged in stage 1, the hook's apt call does nothing`, { timeout: TIMEOUT }, async () => {
          const { plan, aptRuns } = await planAndRecord();
          expect(plan.stage1.unpack).toContain('usr-is-merged');
          expect(plannedSteps(plan.mergedUsr)).toEqual([]);
          expect(aptRuns.map((run) => run.map(recordedStep))).toEqual([]);
          expect(plan.stage2).toBeUndefined();
        });
        continue;
      }

      it(`${arch} ${variant}: the merged-usr hook's apt-get install usr-is-merged`, { timeout: TIMEOUT }, async () => {
        const { plan, aptRuns } = await planAndRecord();
        expect(aptRuns.length).toBeGreaterThanOrEqual(1);
        expectSameSteps(plannedSteps(plan.mergedUsr), aptRuns[0]!.map(recordedStep), `${arch} ${variant} merged-usr hook`);
      });

      if (variant === 'buildd') {
        it(`${arch} buildd: stage 2's dpkg calls (apt-get install build-essential ?priority(required))`, { timeout: TIMEOUT }, async () => {
          const { plan, aptRuns } = await planAndRecord();
          expect(aptRuns).toHaveLength(2);
          const planned = plannedSteps(plan.stage2);
          expectSameSteps(planned, aptRuns[1]!.map(recordedStep), `${arch} buildd stage 2`);
          // The shape apt is known for here: an immediate batch, one --recursive unpack, --configure --pending.
          expect(planned.map((s) => s.action)).toEqual(['unpack', 'configure', 'unpack', 'configure-pending']);
          expect(planned[2]!.recursive).toBe(true);
        });
      } else {
        it(`${arch} ${variant}: no further apt call`, { timeout: TIMEOUT }, async () => {
          const { plan, aptRuns } = await planAndRecord();
          expect(aptRuns).toHaveLength(1);
          expect(plan.stage2).toBeUndefined();
        });
      }
    }
  }
});

// The same oracle on sets that exercise more of apt's ordering: a stage 1 with usrmerge and perl
// (no hook), and second apt calls with interleaved immediate configuration, Pre-Depends chains,
// virtual packages with several providers (awk, mail-transport-agent), Conflicts and `:any`.
describe('installPlan on other sets, against the same oracle (bookworm amd64)', () => {
  it('essential without the merged-usr hook: apt picks usrmerge, stage 1 has perl', { timeout: TIMEOUT }, async () => {
    const index = await bookworm('amd64');
    const seeds = variantSeeds(index, 'essential').filter((s) => s.relation.name !== 'usr-is-merged');
    const resolution = resolveClosure(index, seeds, aptPolicy);
    const plan = installPlan(index, resolution, { variant: 'essential', mergedUsr: false });
    const { calls } = await realDebs({ suite: 'bookworm', arch: 'amd64', variant: 'essential', mergedUsr: false });
    const { stage1, aptRuns } = splitCalls(calls);
    expect(stage1.packages).toContain('usrmerge');
    expectStage1(plan, stage1, 'amd64 essential without hook, stage 1');
    expect(aptRuns).toEqual([]);
    expect(plan.mergedUsr).toBeUndefined();
  });

  const includes: string[][] = [
    ['systemd-sysv', 'openssh-server', 'sudo', 'locales', 'gawk'],
    ['python3-apt', 'python3-yaml', 'curl', 'ca-certificates', 'exim4-daemon-light', 'bsd-mailx', 'man-db', 'vim'],
  ];
  for (const include of includes) {
    it(`essential --include=${include.join(',')}: the second apt call`, { timeout: TIMEOUT }, async () => {
      const index = await bookworm('amd64');
      const essential = resolve(index, 'essential');
      const { calls } = await realDebs({ suite: 'bookworm', arch: 'amd64', variant: 'essential', include });
      const { stage1, aptRuns } = splitCalls(calls);
      expect(aptRuns).toHaveLength(2);
      const plannedEssential = installPlan(index, essential, { variant: 'essential' });
      expectStage1(plannedEssential, stage1, 'stage 1');
      // The set is apt's (what it unpacked), so that only the order is under test here.
      const all = new Map<string, PackageRecord>(essential.packages);
      for (const name of aptRuns[1]!.filter((c) => c.action === 'unpack').flatMap((c) => c.packages)) {
        const record = index.byName(name).find((r) => r.architecture === 'amd64') ?? index.byName(name)[0];
        expect(record, `${name} is in the archive`).toBeDefined();
        all.set(name, record!);
      }
      const plan = installPlan(index, { packages: all, why: new Map() }, { variant: 'essential', stage1: essential.packages });
      expectSameSteps(plannedSteps(plan.mergedUsr), aptRuns[0]!.map(recordedStep), 'merged-usr hook');
      expectSameSteps(plannedSteps(plan.stage2), aptRuns[1]!.map(recordedStep), `--include=${include.join(',')}`);
    });
  }

  it('is a pure function of its inputs', { timeout: TIMEOUT }, async () => {
    const index = await bookworm('amd64');
    const essential = resolve(index, 'essential');
    const buildd = resolve(index, 'buildd');
    const a = installPlan(index, buildd, { variant: 'buildd', stage1: essential.packages });
    const b = installPlan(index, buildd, { variant: 'buildd', stage1: new Map([...essential.packages].reverse()) });
    expect(b).toEqual(a);
  });
});
