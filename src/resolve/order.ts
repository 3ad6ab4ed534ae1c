// Install order — the order in which apt 2.6 hands packages to dpkg (apt-pkg/packagemanager.cc, orderlist.cc, deb/dpkgpm.cc).
//
// The rule, as apt implements it and this file ports it (apt 2.6.1, unchanged in 2.6.2):
//
// 1. The order list (pkgPackageManager::CreateOrderList) holds every package the run
//    installs or upgrades. Essential packages, and everything their Depends/Pre-Depends reach
//    (by the dependency's *target package*, all OR alternatives, but never through a virtual
//    package to its providers), are flagged Immediate.
// 2. pkgOrderList::OrderUnpack sorts the list by Score, highest first (Essential +200,
//    has Pre-Depends +50, Immediate +10, Priority required +5 / important +4 / standard +3 /
//    optional +1), then by name (strcmp). Four depth-first passes then rebuild it, each package
//    emitted after the packages it is visited through first: pass A follows Pre-Depends and
//    Conflicts/Breaks (for an Immediate package, and below a Pre-Depends, every Depends too),
//    then Depends twice more (unpack closeness, configure order); pass B drops the configure
//    order, pass C the Depends; pass D follows Pre-Depends, and Depends below the top level or
//    of Immediate packages.
// 3. pkgPackageManager::OrderInstall walks that list and calls SmartUnPack on each package
//    not handled yet: its Pre-Depends are first unpacked *and configured* (recursively), then
//    the package is unpacked; an Immediate package is then configured at once by SmartConfigure,
//    which first unpacks and configures its Depends (the first alternative that is going to be
//    installed). Every unpack and configure is appended to pkgDPkgPM's item list; the rest is
//    configured by a final `dpkg --configure --pending`.
// 4. pkgDPkgPM::Go turns the item list into dpkg calls: consecutive items of one kind make one
//    call (`--unpack --auto-deconfigure`, `--configure`), an unpack of more than 5 debs becomes
//    `--unpack --recursive DIR` of numbered links when the installed dpkg is >= 1.18.5, and
//    `--configure --pending` ends the run. The `DPkg::Pre-Install-Pkgs` hook sees the unpack
//    items in list order: that is the order mmdebstrap hands to its one stage-1
//    `dpkg --install --force-depends` (its pre-extraction with tar uses it too).
//
// What apt's cache contributes, modelled here: a version's dependency list in field order
// (Pre-Depends, Depends, Conflicts, Breaks; Recommends/Suggests/Replaces/Enhances never take part
// in ordering), each relation's candidate versions (`AllTargets`: the target's own versions,
// newest first, then its providers, most recently parsed first, as pkgCacheGenerator::NewProvides
// prepends), `:any` relations as the implicit `name:any` package that Multi-Arch: allowed
// versions provide. Packages that are neither installed nor being installed are left out: every
// step of the algorithm skips them. Reverse-dependency lists are kept in creation order, newest
// first; apt's exact order there (pkgCacheGenerator::NewDepends) only matters when an installed
// package's Conflicts/Breaks/Depends is broken by the run, which a bootstrap never does.
//
// mmdebstrap runs apt several times (mmdebstrap 1.3.5, notes §2.4, §4): stage 1 with a dummy
// `usr-is-merged` (version 1, from the merged-usr hook) installed; the hook's own
// `apt-get install usr-is-merged` on top of stage 1; and for buildd/minbase a second
// `apt-get install` of the rest on top of both. {@link installPlan} gives all three.

import { CrossrootError } from '../errors.js';
import { parseRelations, type RelationOp } from '../formats/control/dependency.js';
import { compareVersions, satisfiesConstraint } from '../formats/control/version.js';
import type { PackageRecord } from '../formats/index/packages.js';
import type { Resolution } from './closure.js';
import type { PackageIndex } from './package-index.js';
import type { Variant } from './seeds.js';

/** One dpkg call of an apt run. */
export interface DpkgStep {
  /** `unpack`: `dpkg --unpack --auto-deconfigure`; `configure`: `dpkg --configure PKG...`; `configure-pending`: `dpkg --configure --pending`. */
  action: 'unpack' | 'configure' | 'configure-pending';
  /** Package names, in the order dpkg is given them (empty for configure-pending). */
  packages: string[];
  /**
   * What apt puts on dpkg's command line for them: for unpack the .deb names in apt's archive
   * cache (`bsdutils_1%3a2.38.1-5+deb12u3_amd64.deb`), or with `recursive` the names of the
   * numbered links in the directory dpkg walks (`07-gpgv_2.2.40-1.1_amd64.deb`); for configure
   * `name:arch` (`libc6:amd64`, `debconf:all`).
   */
  arguments: string[];
  /** Whether apt passes `--recursive DIR` instead of the files (more than 5 debs, dpkg >= 1.18.5 installed). */
  recursive: boolean;
}

/** One apt run: its action list (pkgDPkgPM's List) and the dpkg calls made from it. */
export interface AptRun {
  /** Unpack and configure items in the order apt planned them. */
  items: { action: 'unpack' | 'configure'; package: string }[];
  /** The packages in unpack order: what the `DPkg::Pre-Install-Pkgs` hook is told. */
  unpack: string[];
  /** The dpkg calls, in order. */
  steps: DpkgStep[];
}

/** The install order of a whole mmdebstrap run. */
export interface InstallPlan {
  /**
   * Stage 1: the Essential set (variant apt: with apt), in the order apt hands it over
   * (`DPkg::Pre-Install-Pkgs`), which mmdebstrap passes to one `dpkg --install
   * --force-depends` (and to its tar pre-extraction). `steps` are apt's own dpkg calls for
   * it, which mmdebstrap does not make (it only downloads with apt).
   */
  stage1: AptRun & {
    /** The records in unpack order. */
    records: PackageRecord[];
    /** Their file names in apt's archive cache, in that order. */
    debs: string[];
  };
  /**
   * The merged-usr hook's `apt-get install usr-is-merged` (replacing the dummy), when the hook
   * applies; without steps when stage 1 has already replaced it (variant apt).
   */
  mergedUsr?: AptRun;
  /** The second apt call (`apt-get install build-essential <required...>` for buildd, minbase, `--include`), when the resolution has more than stage 1. */
  stage2?: AptRun;
}

export interface InstallPlanOptions {
  /**
   * mmdebstrap's variant. Stage 1 is `apt-get install ?essential` with apt's implicit
   * Essential flag switched off (pkgCacheGen::ForceEssential ","), except for variant `apt`:
   * there it is `apt-get dist-upgrade` with apt Essential, which also upgrades the merged-usr
   * hook's dummy usr-is-merged in stage 1 (the hook's own apt call then has nothing to do).
   */
  variant: Variant;
  /**
   * The set stage 1 installs. Default: the resolution itself, which is right for variants
   * essential and apt; for buildd and minbase (and any `--include`) give the resolution of
   * the stage-1 variant (essential, or apt), usr-is-merged included when the hook applies.
   */
  stage1?: ReadonlyMap<string, PackageRecord>;
  /**
   * mmdebstrap's merged-usr hook: stage 1 runs with a dummy `usr-is-merged` version 1
   * installed, and the real one comes in the hook's own apt call. Default: whether the
   * stage-1 set has usr-is-merged (which is how variantSeeds models the hook).
   */
  mergedUsr?: boolean;
  /**
   * Variant apt's stage 1 is `apt-get dist-upgrade` with apt Essential (mmdebstrap 1.3.5);
   * from 1.4 on stage 1 is the essential set for every variant and apt comes in stage 2.
   * Default true.
   */
  aptInStage1?: boolean;
}

const MERGED_USR = 'usr-is-merged';

/**
 * The order of every dpkg action of an mmdebstrap run that installs `resolution`: stage 1 (one
 * `dpkg --install` of the stage-1 set), the merged-usr hook's apt call, and the second apt call
 * for what stage 1 lacks. Pure: a function of the index and the sets only.
 *
 * @example
 * const essential = resolveClosure(index, variantSeeds(index, 'essential'), aptPolicy);
 * const buildd = resolveClosure(index, variantSeeds(index, 'buildd'), aptPolicy);
 * const plan = installPlan(index, buildd, { variant: 'buildd', stage1: essential.packages });
 * plan.stage1.unpack // ['gcc-12-base', 'libc6', 'libgcc-s1', 'mawk', 'base-files', …]
 * plan.stage2?.steps[0] // { action: 'unpack', packages: ['libcom-err2', 'libext2fs2', 'libss2', 'logsave'], … }
 */
export function installPlan(index: PackageIndex, resolution: Resolution, opts: InstallPlanOptions): InstallPlan {
  const stage1Set = opts.stage1 ?? resolution.packages;
  for (const [name, record] of stage1Set) {
    const chosen = resolution.packages.get(name);
    if (chosen !== undefined && chosen.version !== record.version) {
      throw new CrossrootError('RESOLVE_ORDER', `stage 1 has ${name} ${record.version} but the resolution ${chosen.version}`, { package: name });
    }
  }
  const aptDistUpgrade = opts.variant === 'apt' && opts.aptInStage1 !== false;
  const runOpts: AptRunOptions = { forceEssential: aptDistUpgrade ? ['apt'] : [] };
  const realMerged = stage1Set.get(MERGED_USR);
  const mergedUsr = opts.mergedUsr ?? realMerged !== undefined;
  const installed = new Map<string, PackageRecord>();
  if (mergedUsr) installed.set(MERGED_USR, dummyUsrIsMerged());

  // dist-upgrade (variant apt) upgrades the dummy in stage 1; `install ?essential` keeps it.
  const upgradeInStage1 = aptDistUpgrade;
  const stage1Install = new Map([...stage1Set].filter(([name]) => upgradeInStage1 || !(mergedUsr && name === MERGED_USR)));
  const stage1Run = aptInstallRun(index, installed, stage1Install, runOpts);
  const records = stage1Run.unpack.map((name) => stage1Install.get(name)!);
  const plan: InstallPlan = {
    stage1: { ...stage1Run, records, debs: records.map(archiveFileName) },
  };
  for (const [name, r] of stage1Install) installed.set(name, r);

  if (mergedUsr) {
    const real = realMerged ?? resolution.packages.get(MERGED_USR) ?? index.byName(MERGED_USR)[0];
    if (real === undefined) throw new CrossrootError('RESOLVE_ORDER', 'the merged-usr hook needs usr-is-merged, which the archive lacks', { package: MERGED_USR });
    const upgrade = new Map<string, PackageRecord>();
    if (installed.get(MERGED_USR)!.version !== real.version) upgrade.set(MERGED_USR, real);
    plan.mergedUsr = aptInstallRun(index, installed, upgrade, runOpts);
    installed.set(MERGED_USR, real);
  }

  const rest = new Map([...resolution.packages].filter(([name]) => !installed.has(name)));
  if (rest.size > 0) plan.stage2 = aptInstallRun(index, installed, rest, runOpts);
  return plan;
}

/** Options of one apt run. */
export interface AptRunOptions {
  /** pkgCacheGen::ForceEssential: names apt treats as Essential (mmdebstrap: none, or `apt` for variant apt). */
  forceEssential?: readonly string[];
}

/**
 * One `apt-get install` run: `install` (new packages or new versions) on top of `installed`
 * (all configured), ordered as apt's pkgPackageManager::OrderInstall orders it, and the dpkg
 * calls pkgDPkgPM::Go makes of that.
 *
 * @example
 * const run = aptInstallRun(index, new Map(), essential.packages);
 * run.unpack // the DPkg::Pre-Install-Pkgs order
 */
export function aptInstallRun(
  index: PackageIndex,
  installed: ReadonlyMap<string, PackageRecord>,
  install: ReadonlyMap<string, PackageRecord>,
  opts: AptRunOptions = {},
): AptRun {
  const cache = new CacheModel(index, installed, install, opts.forceEssential ?? []);
  const items = new PackageManager(cache).orderInstall();
  // Nothing to change: apt does not start dpkg at all.
  if (items.length === 0) return { items: [], unpack: [], steps: [] };
  const out = items.map((i) => ({ action: i.op === 'install' ? ('unpack' as const) : ('configure' as const), package: i.pkg.name }));
  return {
    items: out,
    unpack: out.filter((i) => i.action === 'unpack').map((i) => i.package),
    steps: dpkgSteps(cache, items),
  };
}

/**
 * apt's `QuoteString(text, bad)`: every byte of `bad`, `%`, and any byte outside printable
 * ASCII as `%xx`. `/` is quoted too, which apt does not do: apt takes the last path
 * component of the whole name (`flNotDir`); quoting keeps the name in the archives
 * directory without letting `NAME/..` of one package land on another's file. Indexes with a
 * `/` in these fields are refused when read (formats/index/packages.ts); this is the second wall.
 */
function aptQuote(text: string, bad: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += byte <= 0x20 || byte >= 0x7f || bad.includes(c) || c === '%' || c === '/' ? `%${byte.toString(16).padStart(2, '0')}` : c;
  }
  return out;
}

/**
 * The name apt gives a downloaded .deb in its archive cache (pkgAcqArchive):
 * `NAME_VERSION_ARCH.deb`, with `_` and `:` %-quoted in each part (and `.` in ARCH), and
 * never a `/`: the name is always one file in the archives directory.
 *
 * @example
 * archiveFileName(bsdutils) // 'bsdutils_1%3a2.38.1-5+deb12u3_amd64.deb'
 */
export function archiveFileName(r: PackageRecord): string {
  const ext = /\.([^./]+)$/.exec(r.filename)?.[1] ?? 'deb';
  return `${aptQuote(r.package, '_:')}_${aptQuote(r.version, '_:')}_${aptQuote(r.architecture, '_:.')}.${ext}`;
}

/** The control stanza mmdebstrap's merged-usr setup hook builds and installs before stage 1. */
export function dummyUsrIsMerged(): PackageRecord {
  return {
    package: MERGED_USR,
    version: '1',
    architecture: 'all',
    multiArch: 'foreign',
    essential: false,
    priority: 'optional',
    section: undefined,
    source: 'mmdebstrap-dummy-usr-is-merged',
    depends: undefined,
    preDepends: undefined,
    provides: undefined,
    conflicts: undefined,
    breaks: undefined,
    filename: 'usr-is-merged.deb',
    size: 0,
    sha256: '0'.repeat(64),
  };
}

// ---------------------------------------------------------------------------------------------
// The part of apt's package cache and depcache that ordering reads.

type DepType = 'PreDepends' | 'Depends' | 'Conflicts' | 'DpkgBreaks';

interface Pkg {
  id: number;
  /** apt's package name: `perl`, or `perl:any` for the implicit package of `:any` relations. */
  name: string;
  essential: boolean;
  /** VersionList: the versions in this model, newest first. */
  versions: Ver[];
  /** ProvidesList: most recently created first. */
  provides: Prv[];
  /** RevDependsList. */
  revDepends: Dep[];
  current: Ver | undefined;
  /** depcache InstallVer: the candidate when marked for install, else the current version. */
  installVer: Ver | undefined;
  markedInstall: boolean;
}

interface Ver {
  pkg: Pkg;
  record: PackageRecord;
  version: string;
  /** Ver.Arch(): `all` for Architecture: all. */
  arch: string;
  priority: number;
  depends: Dep[];
  provides: Prv[];
}

interface Dep {
  parent: Ver;
  target: Pkg;
  type: DepType;
  op: RelationOp | undefined;
  version: string | undefined;
  /** pkgCache::Dep::Or: the next dependency is an alternative of this one. */
  or: boolean;
}

interface Prv {
  owner: Ver;
  target: Pkg;
  version: string | undefined;
}

// apt's Priority numbers (pkgCache::State::VerPriority) and pkgOrderList::Score's map of them.
const PRIORITY: Record<string, number> = { required: 1, important: 2, standard: 3, optional: 4, extra: 5 };
const PRIORITY_SCORE = [0, 5, 4, 3, 1, 0];
const HASH_TABLE_SIZE = 196613; // APT::Cache-HashTableSize

/** apt's pkgCache::sHash: djb2 over the lower-cased name, modulo the hash table size. */
function aptHash(name: string): number {
  let h = 5381;
  for (let i = 0; i < name.length; i++) {
    let c = name.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    h = (Math.imul(h, 33) + c) >>> 0;
  }
  return h % HASH_TABLE_SIZE;
}

/** StringViewCompareFast: shorter first, then bytes. */
function compareFast(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** C strcmp on ASCII package names. */
function strcmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

class CacheModel {
  readonly native: string;
  readonly #pkgs = new Map<string, Pkg>();
  readonly #essential: Set<string>;

  constructor(index: PackageIndex, installed: ReadonlyMap<string, PackageRecord>, install: ReadonlyMap<string, PackageRecord>, forceEssential: readonly string[]) {
    this.native = index.arch;
    this.#essential = new Set([...index.seedNames((f) => f.essential), ...forceEssential]);
    const vers: { ver: Ver; order: number; tie: number }[] = [];
    const verOf = (r: PackageRecord, tie: number): Ver => {
      const pkg = this.pkg(r.package);
      const existing = pkg.versions.find((v) => v.version === r.version);
      if (existing !== undefined) return existing;
      const ver: Ver = {
        pkg,
        record: r,
        version: r.version,
        arch: r.architecture === 'all' ? 'all' : this.native,
        priority: r.priority === undefined ? 0 : (PRIORITY[r.priority.toLowerCase()] ?? 5),
        depends: [],
        provides: [],
      };
      pkg.versions.push(ver);
      pkg.versions.sort((a, b) => compareVersions(b.version, a.version));
      if (r.essential) pkg.essential = true;
      // Records not from the index (the merged-usr dummy) come from dpkg's status file, which apt parses last.
      vers.push({ ver, order: index.loadOrder(r) ?? Number.POSITIVE_INFINITY, tie });
      return ver;
    };
    let tie = 0;
    for (const r of installed.values()) this.pkg(r.package).current = verOf(r, tie++);
    for (const r of install.values()) {
      const pkg = this.pkg(r.package);
      const ver = verOf(r, tie++);
      if (ver === pkg.current) continue;
      pkg.installVer = ver;
      pkg.markedInstall = true;
    }
    for (const pkg of this.#pkgs.values()) if (!pkg.markedInstall) pkg.installVer = pkg.current;

    // Dependencies and provides are created as apt parses each version: in load order.
    vers.sort((a, b) => a.order - b.order || a.tie - b.tie);
    for (const { ver } of vers) this.#addDepends(ver);
    for (const { ver } of vers) this.#addProvides(ver);
    // apt prepends to these lists (NewProvides, and NewDepends as far as it matters here).
    for (const pkg of this.#pkgs.values()) {
      pkg.provides.reverse();
      pkg.revDepends.reverse();
      for (const v of pkg.versions) v.provides.reverse();
    }
  }

  pkg(name: string): Pkg {
    let p = this.#pkgs.get(name);
    if (p === undefined) {
      p = {
        id: this.#pkgs.size,
        name,
        essential: this.#essential.has(name),
        versions: [],
        provides: [],
        revDepends: [],
        current: undefined,
        installVer: undefined,
        markedInstall: false,
      };
      this.#pkgs.set(name, p);
    }
    return p;
  }

  /** The package of that name, if the model has it. */
  find(name: string): Pkg | undefined {
    return this.#pkgs.get(name);
  }

  /** Real packages (with versions), in apt's hash-table order (PkgBegin .. PkgEnd). */
  packagesInHashOrder(): Pkg[] {
    return [...this.#pkgs.values()]
      .filter((p) => p.versions.length > 0)
      .map((p) => ({ p, h: aptHash(p.name) }))
      .sort((a, b) => a.h - b.h || compareFast(a.p.name, b.p.name))
      .map(({ p }) => p);
  }

  get size(): number {
    return this.#pkgs.size;
  }

  // debListParser::NewVersion → ParseDepends for each field, in this order.
  #addDepends(ver: Ver): void {
    const fields: [string | undefined, DepType, string][] = [
      [ver.record.preDepends, 'PreDepends', 'Pre-Depends'],
      [ver.record.depends, 'Depends', 'Depends'],
      [ver.record.conflicts, 'Conflicts', 'Conflicts'],
      [ver.record.breaks, 'DpkgBreaks', 'Breaks'],
    ];
    for (const [text, type, field] of fields) {
      if (text === undefined || text.trim() === '') continue;
      for (const group of parseRelations(text, { field, context: { package: ver.record.package } })) {
        group.forEach((rel, i) => {
          const target = this.pkg(this.#targetName(rel.name, rel.arch));
          const dep: Dep = {
            parent: ver,
            target,
            type,
            op: rel.constraint?.op,
            version: rel.constraint?.version,
            or: i < group.length - 1,
          };
          ver.depends.push(dep);
          target.revDepends.push(dep);
        });
      }
    }
  }

  // `name:any` → the package `name:any` (arch any); `name:native`/`name:ARCH` → `name:ARCH`.
  #targetName(name: string, arch: string | undefined): string {
    if (arch === undefined) return name;
    if (arch === 'any') return `${name}:any`;
    return `${name}:${arch === 'native' ? this.native : arch}`;
  }

  // debListParser::ParseProvides, for a single-architecture cache.
  #addProvides(ver: Ver): void {
    const allowed = ver.record.multiArch === 'allowed';
    const foreign = ver.record.multiArch === 'foreign';
    const add = (name: string, version: string | undefined) => {
      const target = this.pkg(name);
      const prv: Prv = { owner: ver, target, version };
      ver.provides.push(prv);
      target.provides.push(prv);
    };
    if (ver.record.provides !== undefined && ver.record.provides.trim() !== '') {
      for (const group of parseRelations(ver.record.provides, { field: 'Provides', context: { package: ver.record.package } })) {
        for (const rel of group) {
          const version = rel.constraint?.version;
          if (rel.constraint !== undefined && rel.constraint.op !== '=') continue; // apt ignores non-equal Provides
          if (rel.arch !== undefined) {
            // `Provides: foo:ARCH` provides foo of that architecture and the arch-specific `foo:ARCH`.
            if (rel.arch !== 'any') add(rel.arch === this.native ? rel.name : `${rel.name}:${rel.arch}`, version);
            add(`${rel.name}:${rel.arch}`, version);
            continue;
          }
          // NewProvides skips a package providing itself.
          if (rel.name === ver.pkg.name && (version === undefined || version === ver.version)) continue;
          if (!foreign && allowed) add(`${rel.name}:any`, version);
          add(rel.name, version);
          // A relation on `name:NATIVE` (a package of arch any) is also satisfied by this provider.
          if (this.#pkgs.has(`${rel.name}:${this.native}`)) add(`${rel.name}:${this.native}`, version);
        }
      }
    }
    if (allowed) add(`${ver.pkg.name}:any`, ver.version);
    if (this.#pkgs.has(`${ver.pkg.name}:${this.native}`)) add(`${ver.pkg.name}:${this.native}`, ver.version);
  }
}

// DepIterator::IsNegative / IsCritical.
function isNegative(d: Dep): boolean {
  return d.type === 'Conflicts' || d.type === 'DpkgBreaks';
}

function satisfies(version: string | undefined, d: Dep): boolean {
  if (d.op === undefined || d.version === undefined) return true;
  if (version === undefined) return false; // an unversioned Provides never satisfies a versioned relation
  return satisfiesConstraint(version, d.op, d.version);
}

/** DepIterator::AllTargets: the target's versions, then its providers' versions, that satisfy the relation. */
function allTargets(d: Dep): Ver[] {
  const out: Ver[] = [];
  const negative = isNegative(d);
  for (const v of d.target.versions) {
    // IsIgnorable: a package's Conflicts/Breaks never apply to itself (its group).
    if (negative && v.pkg === d.parent.pkg) continue;
    if (satisfies(v.version, d)) out.push(v);
  }
  for (const p of d.target.provides) {
    if (negative && p.owner.pkg === d.parent.pkg) continue;
    if (satisfies(p.version, d)) out.push(p.owner);
  }
  return out;
}

// pkgOrderList flags.
const ADDED = 1 << 0;
const ADD_PENDING = 1 << 1;
const IMMEDIATE = 1 << 2;
const LOOP = 1 << 3;
const UNPACKED = 1 << 4;
const CONFIGURED = 1 << 5;
const REMOVED = 1 << 6;
const IN_LIST = 1 << 7;
const AFTER = 1 << 8;
const STATES = UNPACKED | CONFIGURED | REMOVED;

type DepFunc = (deps: readonly Dep[], reverse: boolean) => boolean;

/** pkgOrderList, for runs that install and upgrade (no removals, no missing files, no media swap). */
class OrderList {
  readonly flags: Uint16Array;
  list: Pkg[] = [];
  #end: Pkg[] = [];
  #after: Pkg[] = [];
  #depth = 0;
  #primary: DepFunc | undefined;
  #secondary: DepFunc | undefined;
  #revDepends: DepFunc | undefined;

  constructor(size: number) {
    this.flags = new Uint16Array(size);
  }

  isFlag(p: Pkg, f: number): boolean {
    return (this.flags[p.id]! & f) === f;
  }

  flag(p: Pkg, f: number, mask?: number): void {
    if (mask === undefined) this.flags[p.id] = this.flags[p.id]! | f;
    else this.flags[p.id] = (this.flags[p.id]! & ~mask) | f;
  }

  rmFlag(p: Pkg, f: number): void {
    this.flags[p.id] = this.flags[p.id]! & ~f;
  }

  /** Not yet unpacked or configured in this run. */
  isNow(p: Pkg): boolean {
    return (this.flags[p.id]! & (STATES & ~REMOVED)) === 0;
  }

  // pkgOrderList::Score: higher scores order earlier.
  score(p: Pkg): number {
    const ver = p.installVer;
    if (ver === undefined) return -1;
    let score = 0;
    if (p.essential) score += 200;
    if (this.isFlag(p, IMMEDIATE)) score += 10;
    if (ver.depends.some((d) => d.type === 'PreDepends')) score += 50;
    if (ver.priority <= 5) score += PRIORITY_SCORE[ver.priority]!;
    return score;
  }

  // pkgOrderList::OrderCompareA (IsNow and State are the same for every package here).
  #compareA(a: Pkg, b: Pkg): number {
    const nowA = this.isNow(a);
    const nowB = this.isNow(b);
    if (nowA !== nowB) return nowA ? -1 : 1;
    const sa = this.score(a);
    const sb = this.score(b);
    if (sa !== sb) return sb - sa;
    return strcmp(a.name, b.name);
  }

  // pkgOrderList::OrderUnpack: the sort, then passes A-D.
  orderUnpack(): void {
    this.#primary = this.#depUnPackCrit;
    this.#secondary = this.#depConfigure;
    this.#revDepends = this.#depUnPackDep;
    // A total order (names are unique), so std::sort's instability does not show.
    this.list.sort((a, b) => this.#compareA(a, b));
    this.#doRun(); // A
    this.#secondary = undefined;
    this.#doRun(); // B
    this.#revDepends = undefined;
    this.#doRun(); // C
    this.#primary = this.#depUnPackPre;
    this.#doRun(); // D
  }

  #doRun(): void {
    this.#depth = 0;
    for (let i = 0; i < this.flags.length; i++) this.flags[i] = this.flags[i]! & ~(ADDED | ADD_PENDING | LOOP | IN_LIST);
    for (const p of this.list) this.flag(p, IN_LIST);
    const old = this.list;
    this.#end = [];
    this.#after = [];
    for (const p of old) this.#visitNode(p);
    this.list = [...this.#end, ...this.#after];
  }

  // pkgOrderList::VisitNode: colour grey, visit what must come first, then emit.
  #visitNode(p: Pkg): boolean {
    if (this.isFlag(p, ADDED) || this.isFlag(p, ADD_PENDING) || !this.isFlag(p, IN_LIST)) return true;
    this.#depth++;
    this.flag(p, ADD_PENDING);
    const old = this.#primary;
    if (this.isFlag(p, IMMEDIATE) && this.#primary !== this.#depUnPackPre) this.#primary = this.#depUnPackPreD;
    if (this.isNow(p)) {
      let res = true;
      res = res && this.#visitDeps(this.#primary, p);
      res = res && this.#visitRDeps(this.#primary, p);
      res = res && this.#visitRProvides(this.#primary, p.current);
      res = res && this.#visitRProvides(this.#primary, p.installVer);
      res = res && this.#visitRDeps(this.#revDepends, p);
      res = res && this.#visitRProvides(this.#revDepends, p.current);
      res = res && this.#visitRProvides(this.#revDepends, p.installVer);
      res = res && this.#visitDeps(this.#secondary, p);
      res = res && this.#visitRDeps(this.#secondary, p);
      res = res && this.#visitRProvides(this.#secondary, p.current);
      res = res && this.#visitRProvides(this.#secondary, p.installVer);
    }
    if (!this.isFlag(p, ADDED)) {
      this.flag(p, ADDED, ADDED | ADD_PENDING);
      if (this.isFlag(p, AFTER)) this.#after.push(p);
      else this.#end.push(p);
    }
    this.#primary = old;
    this.#depth--;
    return true;
  }

  #visitDeps(f: DepFunc | undefined, p: Pkg): boolean {
    if (f === undefined || p.installVer === undefined) return true;
    return f.call(this, p.installVer.depends, false);
  }

  #visitRDeps(f: DepFunc | undefined, p: Pkg): boolean {
    if (f === undefined) return true;
    return f.call(this, p.revDepends, true);
  }

  #visitRProvides(f: DepFunc | undefined, v: Ver | undefined): boolean {
    if (f === undefined || v === undefined) return true;
    let res = true;
    for (const prv of v.provides) res = f.call(this, prv.target.revDepends, true) && res;
    return res;
  }

  // pkgOrderList::VisitProvides: visit every package that would satisfy D.
  #visitProvides(d: Dep): boolean {
    const negative = isNegative(d);
    const targets = allTargets(d);
    for (const v of targets) {
      const p = v.pkg;
      if (negative) continue; // only packages being removed (none here) would be visited first
      if (!p.markedInstall) continue; // Keep() and NeedsNothing
      if (p.installVer !== v) continue;
      this.#visitNode(p);
    }
    if (!negative) return true;
    for (const v of targets) {
      const p = v.pkg;
      if (!p.markedInstall) continue;
      if (p.current !== v) continue;
      this.#visitNode(p);
    }
    return true;
  }

  // pkgOrderList::DepUnPackCrit: Conflicts and Pre-Depends only.
  #depUnPackCrit(deps: readonly Dep[], reverse: boolean): boolean {
    for (const d of deps) {
      if (reverse) {
        if (d.type !== 'Conflicts') continue;
        if (d.parent.pkg.current !== d.parent) continue;
        if (this.#checkDep(d, true)) continue;
        this.#visitNode(d.parent.pkg);
      } else {
        if (!isNegative(d) && d.type !== 'PreDepends') continue;
        if (this.#checkDep(d, false)) {
          if (!this.isFlag(d.target, ADD_PENDING) || d.type !== 'PreDepends') continue;
        }
        // Loop detection (AddLoop only records the loop).
        if (this.isFlag(d.target, ADDED) || this.isFlag(d.target, ADD_PENDING)) continue;
        const old = this.#primary;
        if (d.type === 'PreDepends') this.#primary = this.#depUnPackPreD;
        this.#visitProvides(d);
        this.#primary = old;
      }
    }
    return true;
  }

  // pkgOrderList::DepUnPackPreD: all critical relations (for Pre-Depends and Immediate packages).
  #depUnPackPreD(deps: readonly Dep[], reverse: boolean): boolean {
    if (reverse) return this.#depUnPackCrit(deps, reverse);
    for (const d of deps) {
      if (this.#checkDep(d, false)) {
        if (!this.isFlag(d.target, ADD_PENDING) || d.type !== 'PreDepends') continue;
      }
      if (this.isFlag(d.target, ADDED) || this.isFlag(d.target, ADD_PENDING)) continue;
      this.#visitProvides(d);
    }
    return true;
  }

  // pkgOrderList::DepUnPackPre: Pre-Depends, and Depends below the top level or of Immediate packages.
  #depUnPackPre(deps: readonly Dep[], reverse: boolean): boolean {
    if (reverse) return true;
    for (const d of deps) {
      if (d.type !== 'PreDepends') {
        if (d.type !== 'Depends') continue;
        if (this.#depth === 1 && !this.isFlag(d.parent.pkg, IMMEDIATE)) continue;
      }
      if (this.#checkDep(d, false)) {
        if (!this.isFlag(d.target, ADD_PENDING)) continue;
      }
      if (this.isFlag(d.target, ADDED) || this.isFlag(d.target, ADD_PENDING)) continue;
      this.#visitProvides(d);
    }
    return true;
  }

  // pkgOrderList::DepUnPackDep: bring a package's Depends close to it; installed reverse dependencies it would break first.
  #depUnPackDep(deps: readonly Dep[], reverse: boolean): boolean {
    for (const d of deps) {
      if (reverse) {
        const parent = d.parent.pkg;
        if (parent.current === undefined || parent.current !== d.parent) continue;
        if (this.#checkDep(d, true)) continue;
        this.#visitNode(parent);
      } else {
        if (d.type === 'Depends') this.#visitProvides(d);
        if (d.type === 'DpkgBreaks') {
          if (this.#checkDep(d, false)) continue;
          this.#visitNode(d.target);
        }
      }
    }
    return true;
  }

  // pkgOrderList::DepConfigure: Depends only.
  #depConfigure(deps: readonly Dep[], reverse: boolean): boolean {
    if (reverse) return true;
    for (const d of deps) if (d.type === 'Depends') this.#visitProvides(d);
    return true;
  }

  // pkgOrderList::CheckDep: is D satisfied by what is ordered before this point (or installed)?
  #checkDep(d: Dep, reverse: boolean): boolean {
    let hit = false;
    for (const v of allTargets(d)) {
      const p = v.pkg;
      if (this.isFlag(p, ADDED) || (this.isFlag(p, ADD_PENDING) && reverse)) {
        if (p.installVer !== v) continue;
      } else if (p.current !== v) {
        continue;
      }
      if (!isNegative(d)) {
        // Provides of an older version of the package itself do not count.
        if (((!reverse && p === d.parent.pkg) || (reverse && p === d.target)) && p.installVer !== v) continue;
        if (this.isFlag(p, AFTER)) {
          hit = true;
          continue;
        }
        return true;
      }
      if (this.isFlag(p, AFTER)) this.flag(d.parent.pkg, AFTER);
      return false;
    }
    if (hit && d.type === 'PreDepends') {
      this.flag(d.parent.pkg, AFTER);
      return true;
    }
    return d.type === 'Conflicts';
  }
}

interface Item {
  op: 'install' | 'configure';
  pkg: Pkg;
}

const MAX_LOOPS = 5000; // APT::pkgPackageManager::MaxLoopCount

/** pkgPackageManager (with pkgDPkgPM's item list) for one run, immediate configuration on (apt's default). */
class PackageManager {
  readonly #cache: CacheModel;
  readonly #list: OrderList;
  readonly items: Item[] = [];
  readonly errors: string[] = [];

  constructor(cache: CacheModel) {
    this.#cache = cache;
    this.#list = new OrderList(cache.size);
  }

  // pkgPackageManager::OrderInstall.
  orderInstall(): Item[] {
    this.#createOrderList();
    this.#list.orderUnpack();
    const list = this.#list;
    for (const p of list.list) {
      if (!list.isNow(p)) continue;
      if (!this.#smartUnPack(p, list.isFlag(p, IMMEDIATE), 0)) {
        throw new CrossrootError('RESOLVE_ORDER', `apt cannot order the installation: ${this.errors.join('; ')}`, { package: p.name });
      }
    }
    // ConfigureAll: with PackageManager::Configure "smart" (the default) it only marks the
    // rest configured; dpkg configures them in the final `--configure --pending`.
    for (const p of list.list) if (list.isFlag(p, UNPACKED)) list.flag(p, CONFIGURED, STATES);
    for (const p of list.list) {
      if (!list.isFlag(p, CONFIGURED)) throw new CrossrootError('RESOLVE_ORDER', 'apt would leave this package unconfigured', { package: p.name });
    }
    return this.items;
  }

  // pkgPackageManager::CreateOrderList: the changed packages; Essential ones and their
  // dependency closure flagged Immediate.
  #createOrderList(): void {
    const list = this.#list;
    for (const p of this.#cache.packagesInHashOrder()) {
      if (p.essential) {
        list.flag(p, IMMEDIATE);
        this.#immediateAdd(p, true);
        this.#immediateAdd(p, false);
      }
      if (p.markedInstall) list.list.push(p);
    }
  }

  // pkgPackageManager::ImmediateAdd: the relation's target package itself, not its providers.
  #immediateAdd(p: Pkg, useInstallVer: boolean): void {
    const ver = useInstallVer ? p.installVer : p.current;
    if (ver === undefined) return;
    for (const d of ver.depends) {
      if (d.type !== 'Depends' && d.type !== 'PreDepends') continue;
      if (this.#list.isFlag(d.target, IMMEDIATE)) continue;
      this.#list.flag(d.target, IMMEDIATE);
      this.#immediateAdd(d.target, useInstallVer);
    }
  }

  #install(p: Pkg): void {
    this.items.push({ op: 'install', pkg: p });
  }

  #configure(p: Pkg): void {
    this.items.push({ op: 'configure', pkg: p });
  }

  // pkgPackageManager::NonLoopingSmart.
  #nonLoopingSmart(action: 'unpack-immediate' | 'unpack' | 'configure', p: Pkg, depPkg: Pkg, depth: number, pkgLoop: boolean, state: { bad?: boolean; changed: boolean }): boolean {
    const list = this.#list;
    if (!pkgLoop) list.flag(p, LOOP);
    let ok: boolean;
    if (action === 'unpack-immediate') ok = this.#smartUnPack(depPkg, true, depth + 1);
    else if (action === 'unpack') ok = this.#smartUnPack(depPkg, false, depth + 1);
    else ok = this.#smartConfigure(depPkg, depth + 1);
    if (!pkgLoop) list.rmFlag(p, LOOP);
    if (!ok) return false;
    if (state.bad !== undefined) state.bad = false;
    if (!list.isFlag(depPkg, LOOP)) state.changed = true;
    return true;
  }

  /** A package whose installed version satisfies a relation now (pkgPackageManager's "current version is ok" test). */
  #currentOk(v: Ver, checkRemoved: boolean): boolean {
    const p = v.pkg;
    return p.current === v && this.#list.isNow(p) && !(checkRemoved && this.#list.isFlag(p, REMOVED));
  }

  // pkgPackageManager::SmartConfigure: unpack and configure what Pkg depends on, then configure it.
  #smartConfigure(p: Pkg, depth: number): boolean {
    const list = this.#list;
    const pkgLoop = list.isFlag(p, LOOP);
    const ver = p.installVer!;
    const groups = orGroups(ver.depends);
    const needConfigure: Dep[][] = [];
    const st = { bad: false, changed: false };
    let i = 0;
    do {
      st.changed = false;
      for (const group of groups) {
        const type = group[group.length - 1]!.type;
        if (type !== 'Depends' && type !== 'PreDepends') continue;
        st.bad = true;
        // Is it fine as it is?
        for (const cur of group) {
          for (const v of allTargets(cur)) {
            const dp = v.pkg;
            if (this.#currentOk(v, true)) {
              st.bad = false;
              break;
            }
            if (dp.installVer !== v || !list.isNow(dp)) continue;
            if (pkgLoop && list.isFlag(dp, UNPACKED)) st.bad = false;
          }
          if (!st.bad) break;
        }
        if (!st.bad) continue;
        // Unpack what is not unpacked yet (loops).
        for (const cur of group) {
          for (const v of allTargets(cur)) {
            const dp = v.pkg;
            if (this.#currentOk(v, true)) continue;
            if (dp.installVer !== v || !list.isNow(dp)) continue;
            if (pkgLoop) {
              if (list.isFlag(dp, UNPACKED)) st.bad = false;
            } else if (!this.#nonLoopingSmart('unpack-immediate', p, dp, depth, pkgLoop, st)) {
              return false;
            }
            break;
          }
          if (!st.bad) break;
        }
        if (!st.bad) continue;
        needConfigure.push(group);
      }
      if (i++ > MAX_LOOPS) return this.#fail(`MaxLoopCount reached in SmartUnPack (1) for ${p.name}`);
    } while (st.changed);

    st.bad = false;
    st.changed = false;
    i = 0;
    do {
      st.changed = false;
      for (const group of needConfigure) {
        const type = group[group.length - 1]!.type;
        if (type !== 'Depends' && type !== 'PreDepends') continue;
        st.bad = true;
        // Configure what is unpacked but not configured yet.
        for (const cur of group) {
          for (const v of allTargets(cur)) {
            const dp = v.pkg;
            if (dp.installVer !== v) continue;
            if (list.isFlag(dp, UNPACKED)) {
              if (list.isFlag(dp, LOOP) && pkgLoop) {
                st.bad = false;
                break;
              }
              if (!this.#nonLoopingSmart('configure', p, dp, depth, pkgLoop, st)) return false;
              break;
            } else if (list.isFlag(dp, CONFIGURED)) {
              st.bad = false;
              break;
            }
          }
          if (!st.bad) break;
        }
      }
      if (i++ > MAX_LOOPS) return this.#fail(`MaxLoopCount reached in SmartUnPack (2) for ${p.name}`);
    } while (st.changed);
    if (st.bad) return this.#fail(`Could not configure '${p.name}'`);
    // CheckRBreaks only acts on packages being removed.
    if (pkgLoop) return true;
    if (list.isFlag(p, CONFIGURED)) return this.#fail(`Internal configure error on '${p.name}'`);
    this.#configure(p);
    list.flag(p, CONFIGURED, STATES);
    // Multi-Arch: same siblings of other architectures: none in a single-architecture run.
    return true;
  }

  // pkgPackageManager::SmartUnPack: make Pkg unpackable (Pre-Depends configured, conflicts
  // out of the way), unpack it, and configure it at once if Immediate.
  #smartUnPack(p: Pkg, immediate: boolean, depth: number): boolean {
    const list = this.#list;
    const pkgLoop = list.isFlag(p, LOOP);
    const ver = p.installVer!;
    const deps = ver.depends;
    const groups = orGroups(deps);
    let somethingBad = false;
    const couldBeTemporaryRemoved = depth !== 0 && !list.isFlag(p, REMOVED);
    const st = { bad: true, changed: false };
    let i = 0;
    do {
      st.changed = false;
      let startIndex = 0;
      for (const group of groups) {
        const start = startIndex;
        startIndex += group.length;
        const end = group[group.length - 1]!;
        if (end.type === 'PreDepends') {
          st.bad = true;
          // Easy targets: packages that are already fine.
          for (const cur of group) {
            for (const v of allTargets(cur)) {
              if (this.#currentOk(v, false)) {
                st.bad = false;
                break;
              }
            }
            if (!st.bad) break;
          }
          // Something that could be configured. NB: like apt, this runs on past the OR group
          // through the rest of the dependency list while nothing is found.
          for (let k = start; st.bad && k < deps.length; k++) {
            for (const v of allTargets(deps[k]!)) {
              const dp = v.pkg;
              if (dp.installVer !== v) continue;
              if (!dp.markedInstall) continue; // Keep() and NeedsNothing
              if (list.isFlag(dp, CONFIGURED)) {
                st.bad = false;
                break;
              }
              if (!list.isFlag(dp, UNPACKED)) {
                // Two packages pre-depending on each other cannot be handled sanely.
                if (list.isFlag(dp, LOOP) && pkgLoop) continue;
                if (!this.#nonLoopingSmart('unpack-immediate', p, dp, depth, pkgLoop, st)) return false;
              } else if (!this.#nonLoopingSmart('configure', p, dp, depth, pkgLoop, st)) {
                return false;
              }
              break;
            }
          }
          if (st.bad) somethingBad = true;
        } else if (end.type === 'Conflicts' || end.type === 'DpkgBreaks') {
          for (const v of allTargets(end)) {
            const cp = v.pkg;
            if (cp.current !== v) continue; // not installed
            if (!list.isNow(cp)) continue; // already dealt with
            if (list.isFlag(cp, REMOVED)) continue;
            if (list.isFlag(cp, LOOP) && pkgLoop) {
              return this.#fail(`${p.name} and ${cp.name} need a temporary removal (conflicts/breaks loop), which this port does not model`);
            }
            // Upgrade the conflicting package first ("to avoid" the conflict).
            const saved = this.errors.length;
            const inner: { bad?: boolean; changed: boolean } = { changed: st.changed };
            if (!this.#nonLoopingSmart('unpack', p, cp, depth, pkgLoop, inner)) {
              this.errors.length = saved;
              if (list.isFlag(cp, REMOVED) || list.isFlag(p, REMOVED)) continue;
              return this.#fail(`${p.name} conflicts with installed ${cp.name}, which would have to be removed first`);
            }
            st.changed = inner.changed;
          }
        }
      }
      if (i++ > MAX_LOOPS) return this.#fail(`MaxLoopCount reached in SmartConfigure for ${p.name}`);
    } while (st.changed);
    if (somethingBad) return this.#fail(`Couldn't configure ${p.name}, probably a dependency cycle`);
    if (couldBeTemporaryRemoved && list.isFlag(p, REMOVED)) return true;
    // CheckRConflicts: an installed package's Conflicts against this version (none in a consistent plan).
    for (const d of p.revDepends) {
      if (d.type !== 'Conflicts' || d.parent.pkg === p || d.parent.pkg.current !== d.parent || !list.isNow(p)) continue;
      if (satisfies(ver.version, d)) return this.#fail(`${d.parent.pkg.name} conflicts with ${p.name} ${ver.version} and would have to be removed first`);
    }
    if (pkgLoop) return true;
    list.flag(p, UNPACKED, STATES);
    // Multi-Arch: same lock-step unpacking only differs with other architectures installed.
    if (ver !== p.current) this.#install(p);
    if (immediate) {
      // Immediate configuration; a failure here is not an error (apt reverts it to a debug note).
      const saved = this.errors.length;
      this.#smartConfigure(p, depth + 1);
      this.errors.length = saved;
    }
    return true;
  }

  #fail(message: string): false {
    this.errors.push(message);
    return false;
  }
}

/** A dependency list cut into OR groups (DepIterator::GlobOr). */
function orGroups(deps: readonly Dep[]): Dep[][] {
  const out: Dep[][] = [];
  let cur: Dep[] = [];
  for (const d of deps) {
    cur.push(d);
    if (!d.or) {
      out.push(cur);
      cur = [];
    }
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

// pkgDPkgPM::Go: one dpkg call per run of items of one kind, then `--configure --pending`.
function dpkgSteps(cache: CacheModel, items: Item[]): DpkgStep[] {
  // apt unpacks through a --recursive directory when the installed dpkg sorts its tree walk (>= 1.18.5).
  const dpkg = cache.find('dpkg')?.current;
  const recursiveOk = dpkg !== undefined && compareVersions('1.18.5', dpkg.version) <= 0;
  const steps: DpkgStep[] = [];
  for (let i = 0; i < items.length; ) {
    let j = i;
    while (j < items.length && items[j]!.op === items[i]!.op) j++;
    const batch = items.slice(i, j);
    i = j;
    if (batch[0]!.op === 'install') {
      const files = batch.map((it) => archiveFileName(it.pkg.installVer!.record));
      const recursive = recursiveOk && batch.length > 5;
      // The links are numbered with as many digits as the last index needs (%.*lu).
      const digits = String(batch.length - 1).length;
      steps.push({
        action: 'unpack',
        packages: batch.map((it) => it.pkg.name),
        arguments: recursive ? files.map((f, n) => `${String(n).padStart(digits, '0')}-${f}`) : files,
        recursive,
      });
    } else {
      steps.push({
        action: 'configure',
        packages: batch.map((it) => it.pkg.name),
        arguments: batch.map((it) => `${it.pkg.name}:${it.pkg.installVer!.arch}`),
        recursive: false,
      });
    }
  }
  steps.push({ action: 'configure-pending', packages: [], arguments: [], recursive: false });
  return steps;
}
