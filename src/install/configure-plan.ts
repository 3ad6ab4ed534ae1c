// Configure planner — the order in which dpkg 1.21.23 unpacks, configures and processes triggers (src/main/{packages,configure,depcon,trigproc,unpack,archives}.c, lib/dpkg/{triglib,pkg-hash,parse,dbmodify}.c).
//
// A pure function of the package set and the dpkg database it starts from (DESIGN.md:
// "Keep the configure planner a pure function of the package set"): it replays dpkg's own
// queue machinery on an in-memory model and returns the maintainer-script calls in the
// order dpkg makes them. No file system, no clock, no host.
//
// THE RULE (dpkg 1.21.23; every step below is a function of dpkg's source)
//
// 1. Each `dpkg` invocation starts from the status file: packages are loaded in status
//    order (name, then architecture: `pkg_sorter_by_nonambig_name_arch`, lib/dpkg/pkg-show.c),
//    relation fields in status-field order (Replaces, Provides, Depends, Pre-Depends,
//    Recommends, Suggests, Breaks, Conflicts, Enhances — lib/dpkg/parse.c `fieldinfos`).
//    Loading creates the package sets in dpkg's package hash (lib/dpkg/pkg-hash.c
//    `pkg_hash_find_set`): bin = FNV-1a 32 of the lower-cased name (lib/dpkg/strhash.c)
//    modulo 65521; a new set is appended to the tail of its bin's list, and the relation
//    targets of a stanza are created before the stanza's own package
//    (lib/dpkg/fields.c `f_dependency`, then parse.c `parse_find_set_slot`). "Hash order"
//    below is bins ascending, then creation order within a bin.
//    Re-reading `Triggers-Pending` prepends each name (lib/dpkg/trignote.c
//    `trig_note_pend_core`), so every invocation reverses that list. `trig_fixup_awaiters`
//    and `trig_incorporate` run at open (lib/dpkg/dbmodify.c `modstatdb_open`); with no
//    `triggers/Unincorp` yet, `trig_transitional_activate` (src/main/trigproc.c) re-reads
//    every installed package's interests and marks its own interests pending.
// 2. `--install`/`--unpack` (src/main/archives.c `archivefiles`, unpack.c `process_archive`):
//    archives are unpacked in argument order. Per archive, first the Pre-Depends check
//    (unpack.c `pkg_check_depcon`, depcon.c `depisok` with allowunconfigd): each group
//    needs a package installed or triggers-pending, or unpacked / half-configured /
//    triggers-awaited with a satisfying Config-Version, or an installed provider, or the
//    archive itself providing it; if a triggers-awaited package is the only hope, the
//    triggers it awaits are processed there and then; otherwise the archive is refused
//    ("pre-dependency problem - not installing") unless --force-depends, and remains a
//    selection (`install ok not-installed`). Then: the `activate` lines of its
//    `triggers` control file fire with the package as awaiter (`-noawait`: none); status
//    half-installed; each data.tar member fires the file triggers on exactly its path;
//    its interests replace the old ones (an explicit trigger's interest file gets the
//    package appended at its end; a file interest is prepended to the path's list);
//    status unpacked. `--install` then enqueues it (`enqueue_package_mark_seen`). An
//    activation is only recorded for an interested package that is at least
//    triggers-awaited (lib/dpkg/triglib.c `trig_record_activation`): a trigger of a
//    package that is itself only unpacked is lost.
// 3. `--configure --pending` (src/main/packages.c `enqueue_pending`) enqueues, in hash
//    order, every package that is unpacked, half-configured or has pending triggers;
//    `--configure PKG...` enqueues the named ones (`enqueue_specified`) and puts every
//    package with pending triggers on the deferred trigger queue (trigproc.c
//    `trigproc_populate_deferred`, hash order).
// 4. `process_queue` (src/main/packages.c): every queued package gets istobe=install-new.
//    Pop FIFO. Before handling, `sincenothing++ > len*3+2` escalates `dependtry`;
//    otherwise `sincenothing > len*2+2` either runs the package recorded in
//    `progress_bytrigproc` (only from dependtry 3 and if it still has pending triggers;
//    the popped package goes back to the tail) or escalates. Levels: 1 normal, 2 cycles,
//    3 triggers, 4 triggers+cycles, 5 force-depends-version, 6 force-depends; 7 is an
//    internal error. A package with pending triggers goes to `trigproc`, others to
//    `deferred_configure` (src/main/configure.c). A package that fails is reported and
//    dropped (istobe back to normal); after `--abort-after` (50) errors the queue is
//    abandoned (src/main/errors.c) — the only way out of some no-progress loops.
// 5. `deferred_configure`: from dependtry 2, `findbreakcycle` (src/main/depcon.c) first:
//    a depth-first walk over Depends/Pre-Depends (alternatives in order, then providers
//    that are in the queue), of every package whatever its status; on the first cycle it
//    sets `cyclebreak` on one link, walking back from the current link towards the
//    repeated package and stopping at the first package WITHOUT a postinst; if all
//    have one, the link leaving the repeated package is broken. A found cycle resets
//    `sincenothing`. Then `dependencies_ok` (packages.c): per group, an alternative is OK
//    if broken as a cycle, or its package (or a provider of matching architecture and, for
//    versioned relations, an `=` provided version) is installed or triggers-pending with a
//    satisfying version; DEFER if it is triggers-awaited (recording the package that owes
//    the trigger in `progress_bytrigproc`) or unpacked/half-configured and in the queue, or
//    if it is a provide of the package itself; otherwise nothing — then `--force-depends`
//    turns nothing into DEFER below dependtry 6 and into "configure anyway" from 6, else
//    the package fails ("dependency problems - leaving unconfigured"). DEFER re-enqueues
//    at the tail. Otherwise Breaks are checked, `sincenothing` = 0, the package's
//    `activate` triggers fire (awaiter: the package), each conffile fires the file
//    triggers on its path and parents, postinst `configure`, and the status becomes
//    triggers-awaited / triggers-pending / installed (src/main/script.c
//    `post_postinst_tasks`).
// 6. `trigproc` (src/main/trigproc.c): from the main queue it waits for dependtry 3
//    (re-enqueued); from dependtry 2 `findbreakcycle`; dependencies as above (DEFER
//    re-enqueues; from dependtry 4 the tortoise-and-hare `check_trigger_cycle` may give up
//    on a package); then `postinst triggered "NAMES"` with the pending names in list order
//    (newest first), which clears the triggers and frees the packages awaiting them.
// 7. At the end `trigproc_run_deferred` processes the deferred trigger queue: packages are
//    appended when a trigger is first recorded for them (not with `--no-triggers`), removed
//    when processed; unsatisfiable dependencies are skipped silently, deferred ones are
//    left pending.
//
// Outside the model (the planner assumes these succeed or do not occur): upgrades and
// reinstalls (an archive of an installed package is refused with INSTALL_PLAN_UNSUPPORTED),
// removals, the unpack-time Conflicts/Breaks checks, Replaces and disappearing packages,
// failing maintainer scripts, maintainer scripts that call dpkg-trigger, and the options
// `--force-configure-any`, `--ignore-depends`, `--force-depends-version`, `--force-breaks`.
//
// Checked against the host's dpkg 1.21.23 by test/install/configure-plan.test.ts.

import { CrossrootError } from '../errors.js';
import { parseRelations, type Relation, type RelationOp } from '../formats/control/dependency.js';
import { satisfiesConstraint } from '../formats/control/version.js';

/** A relation field as dpkg names it. */
export type RelationField =
  | 'Replaces'
  | 'Provides'
  | 'Depends'
  | 'Pre-Depends'
  | 'Recommends'
  | 'Suggests'
  | 'Breaks'
  | 'Conflicts'
  | 'Enhances';

/** The relation fields in the order dpkg writes them to the status file (lib/dpkg/parse.c `fieldinfos`). */
export const STATUS_RELATION_FIELDS: readonly RelationField[] = [
  'Replaces',
  'Provides',
  'Depends',
  'Pre-Depends',
  'Recommends',
  'Suggests',
  'Breaks',
  'Conflicts',
  'Enhances',
];

/** What the planner needs to know of one binary package. */
export interface PlanPackage {
  name: string;
  version: string;
  /** `Architecture`: a concrete architecture or `all`. */
  architecture: string;
  /** `Multi-Arch`: `same`, `foreign`, `allowed`; absent means `no`. */
  multiArch?: string;
  /**
   * Relation fields with their values, in control-file order. The order matters: for a
   * package unpacked in the same dpkg run, dpkg keeps it, and it decides which dependency
   * cycle is found first. (After a reload dpkg uses {@link STATUS_RELATION_FIELDS} order.)
   */
  relations: ReadonlyArray<readonly [RelationField, string]>;
  /** Whether the package has a `postinst` maintainer script. */
  hasPostinst: boolean;
  /** The `triggers` control file, if any (interest/activate directives). */
  triggers?: string;
  /** Conffile paths (absolute, as in the `conffiles` control file, without flags). */
  conffiles?: readonly string[];
  /**
   * Paths of the data.tar members in archive order (absolute, no trailing slash, `/.` for
   * `./`). Only consulted to fire file triggers during unpack; omit when no installed
   * package has a file-trigger interest.
   */
  files?: readonly string[];
}

/** dpkg's package states (deb-status(5)), in dpkg's order. */
export type PackageStatus =
  | 'not-installed'
  | 'config-files'
  | 'half-installed'
  | 'unpacked'
  | 'half-configured'
  | 'triggers-awaited'
  | 'triggers-pending'
  | 'installed';

/**
 * A package as the status file records it (`Status: install ok <status>`). For
 * `not-installed` (an archive dpkg refused to unpack stays selected for installation) only
 * the name and architecture are meaningful.
 */
export interface InstalledPackage extends PlanPackage {
  status: PackageStatus;
  /** `Config-Version`: the last version configured, if any. */
  configVersion?: string;
  /** `Triggers-Pending`, as written (dpkg writes its in-memory list head first). */
  triggersPending?: readonly string[];
  /** `Triggers-Awaited`: the packages (`name` or `name:arch`) whose trigger processing this one awaits. */
  triggersAwaited?: readonly string[];
}

/** A line of `triggers/<name>` (explicit trigger) or `triggers/File` (file trigger, name starts with `/`). */
export interface TriggerInterest {
  trigger: string;
  /** `name`, or `name:arch` for a Multi-Arch: same package (dpkg's `pnaw_same`). */
  package: string;
  noawait: boolean;
}

/** The part of a dpkg database (`var/lib/dpkg`) that decides the order of configuration. */
export interface DpkgDatabase {
  /** `dpkg --print-architecture`. */
  nativeArch: string;
  /** `dpkg --print-foreign-architectures`. */
  foreignArchs: readonly string[];
  packages: readonly InstalledPackage[];
  /**
   * Trigger interests in file order: for each explicit trigger, the order of its
   * `triggers/<name>` file; for file triggers, the order of `triggers/File`.
   */
  interests: readonly TriggerInterest[];
  /** Whether `triggers/Unincorp` exists (dpkg creates it on its first run). */
  unincorp: boolean;
}

/** One dpkg invocation to plan. */
export type DpkgAction =
  | {
      /** `dpkg --install ARCHIVES...`: none of the packages may be installed yet. */
      action: 'install';
      archives: readonly PlanPackage[];
      forceDepends?: boolean;
      noTriggers?: boolean;
      abortAfter?: number;
    }
  | {
      /** `dpkg --unpack ARCHIVES...` (then deferred trigger processing, unless `noTriggers`). */
      action: 'unpack';
      archives: readonly PlanPackage[];
      /** Only relaxes the unpack-time Pre-Depends check. */
      forceDepends?: boolean;
      noTriggers?: boolean;
      abortAfter?: number;
    }
  | {
      /** `dpkg --configure --pending` (`'pending'`) or `dpkg --configure PKG...` (`name` or `name:arch`). */
      action: 'configure';
      packages: 'pending' | readonly string[];
      forceDepends?: boolean;
      noTriggers?: boolean;
      /** `--abort-after`: dpkg stops processing the queue after this many package errors (default 50). */
      abortAfter?: number;
    };

/**
 * What dpkg does, in order; an installer runs the scripts in exactly this order. The
 * events of a package without a postinst still count: they change the database (and
 * dpkg reports them on --status-fd), there is just no script to run.
 */
export type PlanEvent =
  /** `preinst install`, then the archive's files (unpack.c process_archive). */
  | { kind: 'unpack'; package: string; architecture: string }
  /** `postinst configure ''`. */
  | { kind: 'configure'; package: string; architecture: string }
  /** `postinst triggered "<triggers joined by spaces>"` (dpkg's "Processing triggers for"). */
  | { kind: 'trigger'; package: string; architecture: string; triggers: string[] }
  /**
   * dpkg gives up on the package for this run, with dpkg's message: a refused archive
   * ("pre-dependency problem - not installing NAME", nothing unpacked), or a package left
   * unconfigured / with its triggers unprocessed.
   */
  | { kind: 'error'; package: string; architecture: string; message: string };

/** The result of one planned dpkg invocation. */
export interface DpkgPlan {
  events: PlanEvent[];
  /** The database as dpkg leaves it, to plan the next invocation from. */
  database: DpkgDatabase;
}

const BINS = 65521;
/** dpkg's `--abort-after` default (src/main/main.c `errabort`). */
const DEFAULT_ABORT_AFTER = 50;

/**
 * The bin of dpkg's package hash a name falls in: FNV-1a 32 of the lower-cased name
 * modulo 65521 (lib/dpkg/pkg-hash.c, lib/dpkg/strhash.c).
 *
 * @example
 * dpkgHashBin('libc6'); // a number in [0, 65521)
 */
export function dpkgHashBin(name: string): number {
  let h = 2166136261;
  for (const byte of Buffer.from(name.toLowerCase(), 'latin1')) {
    h ^= byte;
    h = Math.imul(h, 16777619) >>> 0;
  }
  return h % BINS;
}

/**
 * An empty database: what mmdebstrap leaves before the first dpkg call (empty `status`,
 * `arch`, no `triggers/`).
 *
 * @example
 * const db = emptyDatabase('amd64');
 */
export function emptyDatabase(nativeArch: string, foreignArchs: readonly string[] = []): DpkgDatabase {
  return { nativeArch, foreignArchs: [...foreignArchs], packages: [], interests: [], unincorp: false };
}

/**
 * Plans one dpkg invocation on `database`: the unpack, configure and trigger-processing
 * events in dpkg's order, and the database afterwards. Pure: the inputs are not modified.
 *
 * @throws CrossrootError `INSTALL_PLAN_UNSUPPORTED` for what the model leaves out (an
 *   archive whose package is already installed), `INSTALL_PLAN_DPKG_ABORT` where dpkg
 *   itself stops with an internal error, `FORMAT_DEPENDENCY` for a bad relation.
 * @example
 * const stage1 = planDpkgRun(emptyDatabase('amd64'), { action: 'install', archives, forceDepends: true });
 * for (const e of stage1.events) if (e.kind === 'configure') console.log(e.package);
 */
export function planDpkgRun(database: DpkgDatabase, action: DpkgAction): DpkgPlan {
  const run = new DpkgRunModel(
    database,
    action.noTriggers === true,
    'forceDepends' in action && action.forceDepends === true,
    action.abortAfter ?? DEFAULT_ABORT_AFTER,
  );
  switch (action.action) {
    case 'install':
    case 'unpack':
      run.archives(action.archives, action.action === 'install');
      break;
    case 'configure':
      run.configure(action.packages);
      break;
  }
  return { events: run.events, database: run.snapshot() };
}

// ---------------------------------------------------------------------------------------
// The model. Names mirror dpkg's so the code can be read side by side with it.

/** Status values in dpkg's numeric order (lib/dpkg/dpkg-db.h `enum pkgstatus`). */
const ST = {
  NOTINSTALLED: 0,
  CONFIGFILES: 1,
  HALFINSTALLED: 2,
  UNPACKED: 3,
  HALFCONFIGURED: 4,
  TRIGGERSAWAITED: 5,
  TRIGGERSPENDING: 6,
  INSTALLED: 7,
} as const;
type St = (typeof ST)[keyof typeof ST];
const STATUS_NAMES: readonly PackageStatus[] = [
  'not-installed',
  'config-files',
  'half-installed',
  'unpacked',
  'half-configured',
  'triggers-awaited',
  'triggers-pending',
  'installed',
];

const TRY = { NORMAL: 1, CYCLES: 2, TRIGGERS: 3, TRIGGERS_CYCLES: 4, FORCE_DEPENDS_VERSION: 5, FORCE_DEPENDS: 6, LAST: 7 } as const;

const enum Found {
  NONE = 0,
  DEFER = 1,
  FORCED = 2,
  OK = 3,
}
const enum DepCheck {
  HALT = 0,
  DEFER = 1,
  OK = 2,
}

interface PkgSet {
  name: string;
  bin: number;
  created: number;
  /** `set->pkg` and its `arch_next` chain; the first always exists (blank when unused). */
  instances: Pkg[];
  /** `depended.installed`: deppossis naming this set, most recently linked first. */
  depended: Possi[];
}

interface Dep {
  type: RelationField;
  up: Pkg;
  list: Possi[];
}

interface Possi {
  up: Dep;
  ed: PkgSet;
  /** Architecture qualifier: a name, `any` (wildcard); implicit ones hold the resolved value. */
  arch: string | undefined;
  archIsImplicit: boolean;
  op: RelationOp | undefined;
  version: string | undefined;
  cyclebreak: boolean;
}

interface ParsedField {
  type: RelationField;
  groups: Relation[][];
}

interface TrigAw {
  aw: Pkg | null;
  pend: Pkg;
}

interface TriggerDirective {
  kind: 'interest' | 'activate';
  name: string;
  noawait: boolean;
}

interface Pkg {
  set: PkgSet;
  /** `installed.arch` name; undefined is dpkg's DPKG_ARCH_NONE (a blank slot). */
  arch: string | undefined;
  info: PlanPackage | undefined;
  multiArch: string;
  version: string | undefined;
  deps: Dep[];
  status: St;
  configVersion: string | undefined;
  /** `trigpend_head` list, head first. */
  trigpend: string[];
  /** `trigaw` list (this package awaits), head first. */
  trigaw: TrigAw[];
  /** `othertrigaw_head` list (others await this package), head first. */
  othertrigaw: TrigAw[];
  hasPostinst: boolean;
  ci: TriggerDirective[];
  // clientdata
  /** `want install` without an installed version: an archive dpkg refused to unpack (a selection). */
  selected: PlanPackage | undefined;
  istobe: 'normal' | 'installnew';
  enqueued: boolean;
  color: 'white' | 'gray' | 'black';
  deferredNode: QueueNode | undefined;
}

interface QueueNode {
  pkg: Pkg | null;
}

interface CycleLink {
  prev: CycleLink | null;
  pkg: Pkg;
  possi: Possi | null;
}

interface CycleNode {
  pkgs: { pkg: Pkg; trigs: string[] }[];
  thenProcessed: Pkg;
  next: CycleNode | null;
}

/** A failure dpkg reports per package (`ohshit` inside an error context). */
class DpkgPackageError extends Error {}

class Queue {
  #nodes: QueueNode[] = [];
  #head = 0;

  get length(): number {
    return this.#nodes.length - this.#head;
  }

  push(pkg: Pkg): QueueNode {
    const node = { pkg };
    this.#nodes.push(node);
    return node;
  }

  pop(): QueueNode | undefined {
    if (this.#head >= this.#nodes.length) return undefined;
    const node = this.#nodes[this.#head++]!;
    if (this.#head > 1024 && this.#head * 2 > this.#nodes.length) {
      this.#nodes = this.#nodes.slice(this.#head);
      this.#head = 0;
    }
    return node;
  }
}

function statusName(s: St): PackageStatus {
  return STATUS_NAMES[s]!;
}

function statusValue(s: PackageStatus): St {
  const i = STATUS_NAMES.indexOf(s);
  if (i < 0) throw new CrossrootError('INSTALL_PLAN_BAD_STATUS', `unknown package status '${s}'`);
  return i as St;
}

// lib/dpkg/triglib.c trig_parse_ci: `#` comments, blank lines, `directive name`.
function parseTriggersCi(text: string | undefined, pkgName: string): TriggerDirective[] {
  if (text === undefined) return [];
  const out: TriggerDirective[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/^[ \t\r\f\v]+/, '');
    if (line.startsWith('#')) continue;
    const trimmed = line.replace(/[ \t\r\f\v\n]+$/, '');
    if (trimmed === '') continue;
    const m = /^(\S+)[ \t\r\f\v]+(.*)$/.exec(trimmed);
    if (m === null) {
      throw new CrossrootError('FORMAT_TRIGGERS', 'triggers ci file contains unknown directive syntax', { package: pkgName });
    }
    const [, cmd, name] = m;
    switch (cmd) {
      case 'interest':
      case 'interest-await':
        out.push({ kind: 'interest', name: name!, noawait: false });
        break;
      case 'interest-noawait':
        out.push({ kind: 'interest', name: name!, noawait: true });
        break;
      case 'activate':
      case 'activate-await':
        out.push({ kind: 'activate', name: name!, noawait: false });
        break;
      case 'activate-noawait':
        out.push({ kind: 'activate', name: name!, noawait: true });
        break;
      default:
        throw new CrossrootError('FORMAT_TRIGGERS', `triggers ci file contains unknown directive '${cmd}'`, { package: pkgName });
    }
  }
  return out;
}

// lib/dpkg/triglib.c trig_classify_byname.
function triggerKind(name: string): 'file' | 'explicit' | 'unknown' {
  if (name.startsWith('/')) {
    // Every component must be non-empty.
    return /^(\/[^/]+)+$/.test(name) ? 'file' : 'unknown';
  }
  return /^[a-z0-9][a-z0-9+.-]*$/i.test(name) && !name.includes('_') ? 'explicit' : 'unknown';
}

function compareStatusOrder(a: { name: string; arch: string | undefined; multiArch: string }, b: typeof a): number {
  const an = a.name.toLowerCase();
  const bn = b.name.toLowerCase();
  if (an !== bn) return Buffer.compare(Buffer.from(an), Buffer.from(bn));
  if (a.arch === b.arch) return 0;
  // pkg_sorter_by_nonambig_name_arch: an instance whose name needs no arch sorts first.
  const aq = a.multiArch === 'same';
  const bq = b.multiArch === 'same';
  if (aq && bq) return Buffer.compare(Buffer.from(a.arch ?? ''), Buffer.from(b.arch ?? ''));
  return aq ? 1 : -1;
}

class DpkgRunModel {
  readonly events: PlanEvent[] = [];
  readonly #native: string;
  readonly #foreign: readonly string[];
  readonly #noTriggers: boolean;
  readonly #forceDepends: boolean;
  readonly #sets = new Map<string, PkgSet>();
  #created = 0;
  /** {@link #hashOrder} cache, dropped whenever a set or an instance is created. */
  #hashOrderCache: Pkg[] | undefined;
  /** Explicit trigger interest files: trigger → lines in file order. */
  readonly #explicit = new Map<string, { pkg: Pkg; noawait: boolean }[]>();
  /** File trigger interests per path, head first (the namenode's `trig_interested`). */
  readonly #fileByPath = new Map<string, { pkg: Pkg; noawait: boolean }[]>();
  /** `triggers/File` order (`filetriggers` overall list). */
  #fileOverall: { path: string; pkg: Pkg; noawait: boolean }[] = [];
  #unincorp: boolean;

  // packages.c globals
  readonly #queue = new Queue();
  #dependtry: number = TRY.NORMAL;
  #sincenothing = 0;
  #progressBytrigproc: Pkg | null = null;
  // errors.c: per-package errors; at `--abort-after` (default 50) processing stops.
  readonly #abortAfter: number;
  #nerrs = 0;
  #abortProcessing = false;
  // trigproc.c globals
  readonly #deferred = new Queue();
  #tortoise: CycleNode | null = null;
  #hare: CycleNode | null = null;
  #tortoiseAdvance = false;

  constructor(db: DpkgDatabase, noTriggers: boolean, forceDepends: boolean, abortAfter: number) {
    this.#abortAfter = abortAfter;
    this.#native = db.nativeArch;
    this.#foreign = db.foreignArchs;
    this.#noTriggers = noTriggers;
    this.#forceDepends = forceDepends;
    this.#unincorp = db.unincorp;
    this.#load(db);
  }

  // ---- database loading (lib/dpkg/dbmodify.c modstatdb_open) ----

  #load(db: DpkgDatabase): void {
    const sorted = [...db.packages].sort((a, b) =>
      compareStatusOrder(
        { name: a.name, arch: a.architecture, multiArch: a.multiArch ?? 'no' },
        { name: b.name, arch: b.architecture, multiArch: b.multiArch ?? 'no' },
      ),
    );
    const awaited: { aw: Pkg; names: readonly string[] }[] = [];
    for (const p of sorted) {
      if (p.status === 'not-installed') {
        // A selection (`install ok not-installed`): dpkg wrote only Package, Status, Architecture.
        const pkg = this.#getPkg(this.#findSet(p.name), p.architecture);
        pkg.selected = p;
        continue;
      }
      // parse_stanza: fields in status order create their target sets first.
      const byField = new Map(p.relations);
      const ordered: [RelationField, string][] = [];
      for (const f of STATUS_RELATION_FIELDS) {
        const v = byField.get(f);
        if (v !== undefined) ordered.push([f, v]);
      }
      const parsed = this.#parseRelationFields(ordered, p.name);
      for (const name of p.triggersAwaited ?? []) this.#findSet(name.split(':')[0]!);
      const set = this.#findSet(p.name);
      const pkg = this.#getPkg(set, p.architecture);
      if (pkg.status !== ST.NOTINSTALLED || pkg.info !== undefined) {
        throw new CrossrootError('INSTALL_PLAN_BAD_DATABASE', `package ${p.name}:${p.architecture} is listed twice`, { package: p.name });
      }
      this.#setInstalled(pkg, p, parsed);
      pkg.status = statusValue(p.status);
      // parse.c pkg_parse_verify: installed and triggers-pending imply Config-Version = Version.
      pkg.configVersion =
        p.configVersion ?? (pkg.status === ST.INSTALLED || pkg.status === ST.TRIGGERSPENDING ? p.version : undefined);
      // f_trigpend prepends each name: the in-memory list is the reverse of the file.
      for (const t of p.triggersPending ?? []) {
        if (!pkg.trigpend.includes(t)) pkg.trigpend.unshift(t);
      }
      if (p.triggersAwaited !== undefined && p.triggersAwaited.length > 0) awaited.push({ aw: pkg, names: p.triggersAwaited });
    }
    // f_trigaw: trig_note_aw + trig_awaited_pend_enqueue.
    const awaitedPend: Pkg[] = [];
    for (const { aw, names } of awaited) {
      for (const spec of names) {
        const pend = this.#pkgSpec(spec);
        if (pend === undefined) continue;
        this.#trigNoteAw(pend, aw);
        if (!awaitedPend.includes(pend)) awaitedPend.unshift(pend);
      }
    }
    // trig_fixup_awaiters.
    for (const pend of awaitedPend) if (pend.trigpend.length === 0) this.#trigClearAwaiters(pend);
    // trig_incorporate: trig_file_interests_ensure reads triggers/File (+2: add).
    for (const i of db.interests) {
      const kind = triggerKind(i.trigger);
      const pkg = this.#pkgSpec(i.package);
      if (pkg === undefined) continue;
      if (kind === 'file') this.#fileInterestAdd(i.trigger, pkg, i.noawait);
      else if (kind === 'explicit') {
        const list = this.#explicit.get(i.trigger) ?? [];
        list.push({ pkg, noawait: i.noawait });
        this.#explicit.set(i.trigger, list);
      }
    }
    this.#trigIncorporate();
  }

  /** Parses relation fields in the given order, creating their target sets as dpkg's f_dependency does. */
  #parseRelationFields(fields: ReadonlyArray<readonly [RelationField, string]>, pkg: string): ParsedField[] {
    const out: ParsedField[] = [];
    for (const [type, value] of fields) {
      const groups = parseRelations(value, { field: type, context: { package: pkg } });
      for (const g of groups) for (const alt of g) this.#findSet(alt.name);
      out.push({ type, groups });
    }
    return out;
  }

  /** Copies a parsed control into the installed pkgbin (unpack.c pkg_update_fields / parse.c pkg_parse_copy). */
  #setInstalled(pkg: Pkg, p: PlanPackage, parsed: ParsedField[]): void {
    // copy_dependency_links: unlink the old ones, link the new ones at the head.
    for (const d of pkg.deps) {
      for (const possi of d.list) {
        const i = possi.ed.depended.indexOf(possi);
        if (i >= 0) possi.ed.depended.splice(i, 1);
      }
    }
    pkg.info = p;
    pkg.version = p.version;
    pkg.multiArch = p.multiArch ?? 'no';
    pkg.hasPostinst = p.hasPostinst;
    pkg.ci = parseTriggersCi(p.triggers, p.name);
    pkg.deps = [];
    for (const { type, groups } of parsed) {
      for (const g of groups) {
        const dep: Dep = { type, up: pkg, list: [] };
        for (const alt of g) {
          const implicit = alt.arch === undefined;
          let arch: string | undefined = alt.arch;
          if (implicit) arch = type === 'Conflicts' || type === 'Breaks' || type === 'Replaces' ? 'any' : p.architecture;
          dep.list.push({
            up: dep,
            ed: this.#findSet(alt.name),
            arch,
            archIsImplicit: implicit,
            op: alt.constraint?.op,
            version: alt.constraint?.version,
            cyclebreak: false,
          });
        }
        pkg.deps.push(dep);
      }
    }
    for (const d of pkg.deps) for (const possi of d.list) possi.ed.depended.unshift(possi);
  }

  #findSet(name: string): PkgSet {
    const key = name.toLowerCase();
    let set = this.#sets.get(key);
    if (set === undefined) {
      set = { name: key, bin: dpkgHashBin(key), created: this.#created++, instances: [], depended: [] };
      set.instances.push(this.#blank(set));
      this.#sets.set(key, set);
      this.#hashOrderCache = undefined;
    }
    return set;
  }

  #blank(set: PkgSet): Pkg {
    return {
      set,
      arch: undefined,
      info: undefined,
      multiArch: 'no',
      version: undefined,
      deps: [],
      status: ST.NOTINSTALLED,
      configVersion: undefined,
      trigpend: [],
      trigaw: [],
      othertrigaw: [],
      hasPostinst: false,
      ci: [],
      selected: undefined,
      istobe: 'normal',
      enqueued: false,
      color: 'white',
      deferredNode: undefined,
    };
  }

  // pkg_hash_get_pkg.
  #getPkg(set: PkgSet, arch: string): Pkg {
    const first = set.instances[0]!;
    if (first.arch === undefined && set.instances.length === 1) {
      first.arch = arch;
      return first;
    }
    const found = set.instances.find((p) => p.arch === arch);
    if (found !== undefined) return found;
    const pkg = this.#blank(set);
    pkg.arch = arch;
    set.instances.push(pkg);
    this.#hashOrderCache = undefined;
    return pkg;
  }

  // pkg_hash_get_singleton.
  #singleton(set: PkgSet): Pkg | undefined {
    const installed = set.instances.filter((p) => p.status > ST.NOTINSTALLED);
    if (installed.length === 0) {
      return set.instances.find((p) => p.arch === this.#native || p.arch === 'all') ?? set.instances[0]!;
    }
    return installed.length === 1 ? installed[0] : undefined;
  }

  // pkg_spec_parse_pkg: `name` or `name:arch`.
  #pkgSpec(spec: string): Pkg | undefined {
    const [name, arch] = spec.split(':', 2) as [string, string | undefined];
    const set = this.#findSet(name);
    return arch === undefined ? this.#singleton(set) : this.#getPkg(set, arch);
  }

  /** Every package instance in hash order (pkg_hash_iter_next_pkg). */
  #hashOrder(): readonly Pkg[] {
    if (this.#hashOrderCache === undefined) {
      const sets = [...this.#sets.values()].sort((a, b) => a.bin - b.bin || a.created - b.created);
      this.#hashOrderCache = sets.flatMap((s) => s.instances);
    }
    return this.#hashOrderCache;
  }

  #name(pkg: Pkg): { package: string; architecture: string } {
    return { package: pkg.set.name, architecture: pkg.arch ?? '' };
  }

  // ---- triggers (lib/dpkg/triglib.c, trignote.c, src/main/trigproc.c) ----

  #trigIncorporate(): void {
    if (this.#unincorp) return; // TDUS_ERROR_EMPTY_DEFERRED: Unincorp stays empty here.
    // TDUS_NO_DEFERRED with transitional hook: trig_transitional_activate.
    for (const pkg of this.#hashOrder()) {
      if (pkg.status <= ST.HALFINSTALLED) continue;
      pkg.trigpend = [];
      for (const d of pkg.ci) {
        if (d.kind !== 'interest') continue;
        this.#interestChange(d.name, pkg, +1, d.noawait);
        if (pkg.status >= ST.TRIGGERSAWAITED) this.#trigNotePend(pkg, d.name);
      }
      if (pkg.status < ST.TRIGGERSAWAITED) continue;
      if (pkg.trigaw.length > 0) pkg.status = ST.TRIGGERSAWAITED;
      else if (pkg.trigpend.length > 0) pkg.status = ST.TRIGGERSPENDING;
      else pkg.status = ST.INSTALLED;
    }
    this.#unincorp = true;
  }

  #interestChange(trig: string, pkg: Pkg, signum: 1 | -1, noawait: boolean): void {
    const kind = triggerKind(trig);
    if (kind === 'explicit') {
      // trk_explicit_interest_change: rewrite without pkg, then append it.
      const list = (this.#explicit.get(trig) ?? []).filter((e) => e.pkg !== pkg);
      if (signum > 0) list.push({ pkg, noawait });
      this.#explicit.set(trig, list);
    } else if (kind === 'file') {
      const list = this.#fileByPath.get(trig) ?? [];
      const found = list.find((e) => e.pkg === pkg);
      if (found !== undefined) {
        found.noawait = noawait;
        if (signum > 0) return;
        this.#fileByPath.set(
          trig,
          list.filter((e) => e !== found),
        );
        this.#fileOverall = this.#fileOverall.filter((e) => !(e.path === trig && e.pkg === pkg));
        return;
      }
      if (signum < 0) return;
      this.#fileInterestAdd(trig, pkg, noawait);
    } else {
      throw new CrossrootError('FORMAT_TRIGGERS', `invalid or unknown syntax in trigger name '${trig}' (in trigger interests for package '${pkg.set.name}')`, {
        package: pkg.set.name,
      });
    }
  }

  #fileInterestAdd(path: string, pkg: Pkg, noawait: boolean): void {
    const list = this.#fileByPath.get(path) ?? [];
    const entry = { pkg, noawait };
    list.unshift(entry);
    this.#fileByPath.set(path, list);
    this.#fileOverall.push({ path, pkg, noawait });
  }

  // trig_note_pend: true if newly noted.
  #trigNotePend(pend: Pkg, trig: string): boolean {
    if (pend.trigpend.includes(trig)) return false;
    pend.trigpend.unshift(trig);
    pend.status = pend.trigaw.length > 0 ? ST.TRIGGERSAWAITED : ST.TRIGGERSPENDING;
    return true;
  }

  // trig_note_aw.
  #trigNoteAw(pend: Pkg, aw: Pkg): boolean {
    if (aw.trigaw.some((ta) => ta.pend === pend)) return false;
    const ta: TrigAw = { aw, pend };
    pend.othertrigaw.unshift(ta);
    aw.trigaw.push(ta);
    return true;
  }

  // trig_clear_awaiters.
  #trigClearAwaiters(notpend: Pkg): void {
    if (notpend.trigpend.length > 0) throw new CrossrootError('INSTALL_PLAN_DPKG_ABORT', `package ${notpend.set.name} has pending triggers`);
    const list = notpend.othertrigaw;
    notpend.othertrigaw = [];
    for (const ta of list) {
      const aw = ta.aw;
      if (aw === null) continue;
      aw.trigaw = aw.trigaw.filter((x) => x !== ta);
      if (aw.trigaw.length === 0 && aw.status === ST.TRIGGERSAWAITED) {
        aw.status = aw.trigpend.length > 0 ? ST.TRIGGERSPENDING : ST.INSTALLED;
        this.#note(aw);
      }
    }
  }

  // modstatdb_note.
  #note(pkg: Pkg): void {
    if (pkg.status !== ST.TRIGGERSPENDING && pkg.status !== ST.TRIGGERSAWAITED) pkg.trigpend = [];
    if (pkg.status <= ST.CONFIGFILES) {
      for (const ta of pkg.trigaw) ta.aw = null;
      pkg.trigaw = [];
    }
    if (pkg.trigpend.length === 0 && pkg.othertrigaw.length > 0) this.#trigClearAwaiters(pkg);
  }

  // trig_record_activation.
  #recordActivation(pend: Pkg, aw: Pkg | null, trig: string): void {
    if (pend.status < ST.TRIGGERSAWAITED) return;
    if (this.#trigNotePend(pend, trig)) this.#note(pend);
    this.#enqueueDeferred(pend);
    if (aw !== null && pend.status > ST.CONFIGFILES) {
      if (this.#trigNoteAw(pend, aw)) {
        if (aw.status > ST.TRIGGERSAWAITED) aw.status = ST.TRIGGERSAWAITED;
        this.#note(aw);
      }
    }
  }

  // trigproc_enqueue_deferred.
  #enqueueDeferred(pend: Pkg): void {
    if (this.#noTriggers) return;
    if (pend.deferredNode !== undefined) return;
    pend.deferredNode = this.#deferred.push(pend);
  }

  // trig_cicb_statuschange_activate: activate one trigger with `aw` as awaiter (null: noawait).
  #activate(trig: string, aw: Pkg | null): void {
    const kind = triggerKind(trig);
    if (kind === 'explicit') {
      for (const e of [...(this.#explicit.get(trig) ?? [])]) this.#recordActivation(e.pkg, e.noawait ? null : aw, trig);
    } else if (kind === 'file') {
      this.#pathActivate(trig, aw);
    }
  }

  // trig_file_activate: exactly this path.
  #fileActivate(path: string, aw: Pkg | null): void {
    for (const e of [...(this.#fileByPath.get(path) ?? [])]) this.#recordActivation(e.pkg, e.noawait ? null : aw, path);
  }

  // trig_path_activate: the path, then each parent.
  #pathActivate(path: string, aw: Pkg | null): void {
    this.#fileActivate(path, aw);
    let p = path;
    for (let i = p.lastIndexOf('/'); i >= 0; i = p.lastIndexOf('/')) {
      p = p.slice(0, i);
      this.#fileActivate(p, aw);
    }
  }

  // trig_activate_packageprocessing: the `activate` lines of the installed triggers file.
  #activatePackageProcessing(pkg: Pkg, ci: TriggerDirective[]): void {
    for (const d of ci) if (d.kind === 'activate') this.#activate(d.name, d.noawait ? null : pkg);
  }

  // ---- unpacking (src/main/archives.c archivefiles, unpack.c process_archive) ----

  archives(archives: readonly PlanPackage[], install: boolean): void {
    for (const p of archives) {
      const parsed = this.#parseRelationFields(p.relations, p.name);
      const set = this.#findSet(p.name);
      const installedInstances = set.instances.filter((i) => i.status > ST.NOTINSTALLED);
      const pkg = installedInstances.length === 1 ? installedInstances[0]! : this.#getPkg(set, p.architecture);
      if (pkg.status > ST.CONFIGFILES) {
        throw new CrossrootError(
          'INSTALL_PLAN_UNSUPPORTED',
          `${p.name} is already ${statusName(pkg.status)}: the planner models fresh installs only`,
          { package: p.name },
        );
      }
      if (pkg.arch === undefined) pkg.arch = p.architecture;
      for (const i of this.#hashOrder()) i.istobe = 'normal'; // clear_istobes
      pkg.selected = p; // pkg_set_want(pkg, PKG_WANT_INSTALL)
      try {
        this.#checkPreDepends(pkg, p, parsed);
      } catch (err) {
        if (!(err instanceof DpkgPackageError)) throw err;
        // print_error_perarchive: the archive is skipped, nothing of it is installed.
        this.#reportError(pkg, err.message);
        if (this.#abortProcessing) break;
        continue;
      }
      this.events.push({ kind: 'unpack', package: set.name, architecture: p.architecture });
      // The old version's activations (none for a fresh install), then the new control's.
      this.#activatePackageProcessing(pkg, pkg.ci);
      const newCi = parseTriggersCi(p.triggers, p.name);
      this.#activatePackageProcessing(pkg, newCi);
      pkg.status = ST.HALFINSTALLED;
      pkg.selected = undefined;
      this.#note(pkg);
      for (const f of p.files ?? []) this.#fileActivate(f, pkg);
      // Interests: the old ones go, the new ones come (trig_cicb_interest_delete/_add).
      for (const d of pkg.ci) if (d.kind === 'interest') this.#interestChange(d.name, pkg, -1, d.noawait);
      for (const d of newCi) if (d.kind === 'interest') this.#interestChange(d.name, pkg, +1, d.noawait);
      this.#setInstalled(pkg, p, parsed);
      pkg.arch = p.architecture;
      pkg.status = ST.UNPACKED;
      this.#note(pkg);
      if (install) this.#enqueue(pkg);
    }
    if (install) this.#processQueue('install');
    this.#runDeferred();
  }

  /**
   * unpack.c pkg_check_depcon, for Pre-Depends (Conflicts and Breaks are outside the
   * model): each group must be satisfied as depcon.c `depisok(..., allowunconfigd)` sees it;
   * if a pre-dependency only awaits triggers, they are processed now; otherwise the archive
   * is refused, unless --force-depends.
   */
  #checkPreDepends(pkg: Pkg, p: PlanPackage, parsed: ParsedField[]): void {
    pkg.istobe = 'installnew';
    for (const field of parsed) {
      if (field.type !== 'Pre-Depends') continue;
      for (const group of field.groups) {
        const fix: { pkg: Pkg | null } = { pkg: null };
        if (this.#preDependOk(pkg, p, group, fix)) continue;
        const fixbytrigaw = fix.pkg;
        if (fixbytrigaw !== null) {
          while (fixbytrigaw.trigaw.length > 0) {
            const head = fixbytrigaw.trigaw[0]!;
            this.#trigproc(head.pend, 'required');
            if (fixbytrigaw.trigaw[0] === head) {
              // trigproc deferred: dpkg's `while (trigaw.head) trigproc(...)` never ends.
              throw new CrossrootError('INSTALL_PLAN_DPKG_ABORT', `dpkg loops forever processing triggers of ${head.pend.set.name} to unpack ${p.name}`, {
                package: p.name,
              });
            }
          }
        } else if (!this.#forceDepends) {
          throw new DpkgPackageError(`pre-dependency problem - not installing ${pkg.set.name}`);
        }
      }
    }
  }

  // depcon.c depisok for one Depends/Pre-Depends group of the package being unpacked
  // (istobe: only that package is install-new; allowunconfigd = true).
  #preDependOk(pkg: Pkg, p: PlanPackage, group: readonly Relation[], fix: { pkg: Pkg | null }): boolean {
    for (const rel of group) {
      const set = this.#findSet(rel.name);
      const possi: Possi = {
        up: { type: 'Pre-Depends', up: pkg, list: [] },
        ed: set,
        arch: rel.arch ?? p.architecture,
        archIsImplicit: rel.arch === undefined,
        op: rel.constraint?.op,
        version: rel.constraint?.version,
        cyclebreak: false,
      };
      const versionOk = (v: string | undefined): boolean => possi.op === undefined || satisfiesConstraint(v!, possi.op, possi.version!);
      for (const inst of set.instances) {
        // wpb_by_istobe: the available pkgbin for the package being installed.
        if (inst.istobe === 'installnew') {
          const avail = { ...inst, multiArch: p.multiArch ?? 'no' };
          if (!this.#depArchSatisfied(avail, p.architecture, possi)) continue;
          if (versionOk(p.version)) return true;
          continue;
        }
        if (!this.#depArchSatisfied(inst, inst.arch, possi)) continue;
        switch (inst.status) {
          case ST.INSTALLED:
          case ST.TRIGGERSPENDING:
            if (versionOk(inst.version)) return true;
            break;
          case ST.TRIGGERSAWAITED:
          case ST.UNPACKED:
          case ST.HALFCONFIGURED:
            if (inst.status === ST.TRIGGERSAWAITED && versionOk(inst.version)) fix.pkg = inst;
            if (inst.configVersion !== undefined && versionOk(inst.version) && versionOk(inst.configVersion)) return true;
            break;
          default:
            break;
        }
      }
      // The package being installed may provide it (depended.available, istobe install-new).
      for (const [type, value] of p.relations) {
        if (type !== 'Provides') continue;
        for (const g of parseRelations(value, { field: type, context: { package: p.name } })) {
          const prov = g[0]!;
          if (prov.name.toLowerCase() !== set.name) continue;
          if (virtualSatisfied(possi, { op: prov.constraint?.op, version: prov.constraint?.version })) return true;
        }
      }
      for (const provider of set.depended) {
        if (provider.up.type !== 'Provides') continue;
        if (!virtualSatisfied(possi, provider)) continue;
        const prov = provider.up.up;
        if (prov.istobe === 'installnew') continue;
        if (prov.status === ST.INSTALLED || prov.status === ST.TRIGGERSPENDING) return true;
        if (prov.status === ST.TRIGGERSAWAITED) fix.pkg = prov;
      }
    }
    return false;
  }

  // ---- configuring (src/main/packages.c) ----

  configure(which: 'pending' | readonly string[]): void {
    if (which === 'pending') {
      // enqueue_pending.
      for (const pkg of this.#hashOrder()) {
        if (!(pkg.status === ST.UNPACKED || pkg.status === ST.HALFCONFIGURED || pkg.trigpend.length > 0)) continue;
        this.#enqueue(pkg);
      }
    } else {
      // enqueue_specified, then trigproc_populate_deferred.
      for (const spec of which) {
        const pkg = this.#pkgSpec(spec);
        if (pkg === undefined) {
          throw new CrossrootError('INSTALL_PLAN_UNSUPPORTED', `package name '${spec}' is ambiguous: give its architecture`);
        }
        this.#enqueue(pkg);
      }
      for (const pkg of this.#hashOrder()) {
        if (pkg.trigpend.length === 0) continue;
        if (pkg.status !== ST.TRIGGERSAWAITED && pkg.status !== ST.TRIGGERSPENDING) continue;
        this.#enqueueDeferred(pkg);
      }
    }
    this.#processQueue('configure');
    this.#runDeferred();
  }

  #enqueue(pkg: Pkg): void {
    if (pkg.enqueued) return;
    pkg.enqueued = true;
    this.#queue.push(pkg);
  }

  // errors.c print_error_perpackage + enqueue_error_report.
  #reportError(pkg: Pkg, message: string): void {
    this.events.push({ kind: 'error', ...this.#name(pkg), message });
    if (++this.#nerrs >= this.#abortAfter) this.#abortProcessing = true;
  }

  #processQueue(action: 'install' | 'configure'): void {
    if (this.#abortProcessing) return;
    for (const p of this.#hashOrder()) p.istobe = 'normal'; // clear_istobes
    for (const p of this.#hashOrder()) if (p.enqueued) p.istobe = 'installnew';
    for (;;) {
      const node = this.#queue.pop();
      if (node === undefined) break;
      let pkg = node.pkg;
      if (pkg === null) continue;
      pkg.enqueued = false;
      let todo: 'install' | 'configure' = action;
      const len = this.#queue.length;
      if (this.#sincenothing++ > len * 3 + 2) {
        this.#escalate(len);
      } else if (this.#sincenothing > len * 2 + 2) {
        const fix = this.#progressBytrigproc;
        if (this.#dependtry >= TRY.TRIGGERS && fix !== null && fix.trigpend.length > 0) {
          this.#enqueue(pkg);
          pkg = fix;
          this.#progressBytrigproc = null;
          todo = 'configure';
        } else {
          this.#escalate(len);
        }
      }
      const current = pkg;
      try {
        if (todo === 'install' && current.status === ST.NOTINSTALLED) continue;
        if (current.trigpend.length > 0) this.#trigproc(current, 'queued');
        else this.#deferredConfigure(current);
      } catch (err) {
        if (!(err instanceof DpkgPackageError)) throw err;
        current.istobe = 'normal';
        this.#reportError(current, err.message);
        if (this.#abortProcessing) return;
      }
    }
  }

  #escalate(len: number): void {
    this.#dependtry++;
    this.#sincenothing = 0;
    if (this.#dependtry >= TRY.LAST) {
      throw new CrossrootError(
        'INSTALL_PLAN_DPKG_ABORT',
        `dpkg aborts: exceeded dependtry ${this.#dependtry} (sincenothing=0, queue.length=${len})`,
      );
    }
  }

  // src/main/configure.c deferred_configure.
  #deferredConfigure(pkg: Pkg): void {
    const name = pkg.set.name;
    if (pkg.status === ST.NOTINSTALLED) throw new DpkgPackageError(`no package named '${name}' is installed, cannot configure`);
    if (pkg.status === ST.INSTALLED) throw new DpkgPackageError(`package ${name} is already installed and configured`);
    if (pkg.status !== ST.UNPACKED && pkg.status !== ST.HALFCONFIGURED) {
      throw new DpkgPackageError(`package ${name} is not ready for configuration\n cannot configure (current status '${statusName(pkg.status)}')`);
    }
    for (const other of pkg.set.instances) {
      if (other === pkg || other.status <= ST.CONFIGFILES) continue;
      if (other.status < ST.UNPACKED) {
        throw new DpkgPackageError(`package ${name}:${pkg.arch} cannot be configured because ${name}:${other.arch} is not ready (current status '${statusName(other.status)}')`);
      }
      if (other.version !== pkg.version) {
        throw new DpkgPackageError(`package ${name}:${pkg.arch} ${pkg.version} cannot be configured because ${name}:${other.arch} is at a different version (${other.version})`);
      }
    }
    if (this.#dependtry >= TRY.CYCLES && this.#findBreakCycle(pkg)) this.#sincenothing = 0;
    const ok = this.#dependenciesOk(pkg);
    if (ok === DepCheck.DEFER) {
      pkg.istobe = 'installnew';
      this.#enqueue(pkg);
      return;
    }
    this.#trigprocResetCycle();
    const final = this.#breakesOk(pkg) ? ok : DepCheck.HALT;
    if (final === DepCheck.HALT) {
      this.#sincenothing = 0;
      throw new DpkgPackageError('dependency problems - leaving unconfigured');
    }
    this.#sincenothing = 0;
    this.events.push({ kind: 'configure', ...this.#name(pkg) });
    this.#activatePackageProcessing(pkg, pkg.ci);
    if (pkg.status === ST.UNPACKED) {
      this.#note(pkg);
      for (const conffile of pkg.info?.conffiles ?? []) this.#pathActivate(conffile, pkg);
      pkg.status = ST.HALFCONFIGURED;
    }
    this.#note(pkg);
    // postinst configure. (dpkg sets no Config-Version in memory here: parse.c derives it
    // from Version on the next load, for installed and triggers-pending only.)
    pkg.trigpend = [];
    this.#postPostinstTasks(pkg);
  }

  // src/main/script.c post_postinst_tasks(pkg, PKG_STAT_INSTALLED).
  #postPostinstTasks(pkg: Pkg): void {
    if (pkg.trigaw.length > 0) pkg.status = ST.TRIGGERSAWAITED;
    else if (pkg.trigpend.length > 0) pkg.status = ST.TRIGGERSPENDING;
    else pkg.status = ST.INSTALLED;
    this.#note(pkg);
  }

  // src/main/packages.c dependencies_ok (removing = NULL).
  #dependenciesOk(pkg: Pkg): DepCheck {
    let ok = DepCheck.OK;
    let anycannotfixbytrig = false;
    let canfixbytrig: Pkg | null = null;
    for (const dep of pkg.deps) {
      if (dep.type !== 'Depends' && dep.type !== 'Pre-Depends') continue;
      let found: Found = Found.NONE;
      const fix: { pkg: Pkg | null } = { pkg: null };
      for (const possi of dep.list) {
        if (found === Found.OK) break;
        if (possi.cyclebreak) {
          found = Found.OK;
          break;
        }
        let thisf: Found = Found.NONE;
        for (const pos of this.#possiPkgs(possi)) {
          thisf = this.#deppossiOkFound(pos, null, fix, possi);
          if (thisf > found) found = thisf;
          if (found === Found.OK) break;
        }
        if (found !== Found.OK) {
          for (const provider of possi.ed.depended) {
            if (found === Found.OK) break;
            if (provider.up.type !== 'Provides') continue;
            const prov = provider.up.up;
            if (!this.#depArchSatisfied(prov, provider.arch, possi)) continue;
            thisf = this.#deppossiOkFound(prov, provider, fix, possi);
            if (thisf === Found.DEFER && prov === pkg) thisf = Found.OK;
            if (thisf > found) found = thisf;
          }
        }
        if (thisf > found) found = thisf;
      }
      if (this.#forceDepends) {
        const forced = this.#dependtry >= TRY.FORCE_DEPENDS ? Found.FORCED : Found.DEFER;
        if (forced > found) found = forced;
      }
      switch (found) {
        case Found.NONE:
          anycannotfixbytrig = true;
          ok = DepCheck.HALT;
          break;
        case Found.FORCED:
          // dpkg prints "dependency problems, but configuring anyway"; the order is unchanged.
          break;
        case Found.DEFER:
          if (fix.pkg !== null) canfixbytrig = fix.pkg;
          else anycannotfixbytrig = true;
          if (ok > DepCheck.DEFER) ok = DepCheck.DEFER;
          break;
        case Found.OK:
          break;
      }
    }
    if (!anycannotfixbytrig && canfixbytrig !== null) this.#progressBytrigproc = canfixbytrig;
    return ok;
  }

  // deppossi_ok_found (removing = NULL, no ignore-depends, no configure-any).
  #deppossiOkFound(dependee: Pkg, provider: Possi | null, fix: { pkg: Pkg | null }, possi: Possi): Found {
    switch (dependee.status) {
      case ST.UNPACKED:
      case ST.HALFCONFIGURED:
      case ST.TRIGGERSAWAITED:
      case ST.TRIGGERSPENDING:
      case ST.INSTALLED:
        if (provider !== null) {
          if (!virtualSatisfied(possi, provider)) return Found.NONE;
        } else if (possi.op !== undefined && !satisfiesConstraint(dependee.version!, possi.op, possi.version!)) {
          return Found.NONE;
        }
        if (dependee.status === ST.INSTALLED || dependee.status === ST.TRIGGERSPENDING) return Found.OK;
        if (dependee.status === ST.TRIGGERSAWAITED) {
          const head = dependee.trigaw[0];
          if (head === undefined) throw new CrossrootError('INSTALL_PLAN_DPKG_ABORT', `package ${dependee.set.name} in state triggers-awaited, has no awaited triggers`);
          fix.pkg = head.pend;
          return Found.DEFER;
        }
        if (dependee.istobe === 'installnew') return Found.DEFER;
        return Found.NONE;
      default:
        return Found.NONE;
    }
  }

  // breakses_ok (no force-breaks, no force-depends-version).
  #breakesOk(pkg: Pkg): boolean {
    let ok = true;
    const check = (target: PkgSet, virtbroken: Possi | null): void => {
      for (const possi of target.depended) {
        if (possi.up.type !== 'Breaks') continue;
        const breaker = possi.up.up;
        if (breaker.status === ST.NOTINSTALLED || breaker.status === ST.CONFIGFILES) continue;
        if (breaker === pkg) continue;
        if (possi.op !== undefined && !satisfiesConstraint(pkg.version!, possi.op, possi.version!)) continue;
        if (!this.#depArchSatisfied(pkg, pkg.arch, possi)) continue;
        if (virtbroken !== null && !virtualSatisfied(possi, virtbroken)) continue;
        ok = false;
      }
    };
    check(pkg.set, null);
    for (const dep of pkg.deps) {
      if (dep.type !== 'Provides') continue;
      const virtbroken = dep.list[0]!;
      check(virtbroken.ed, virtbroken);
    }
    return ok;
  }

  // deppossi_pkg_iter (wpb_installed).
  #possiPkgs(possi: Possi): Pkg[] {
    return possi.ed.instances.filter((p) => this.#depArchSatisfied(p, p.arch, possi));
  }

  // lib/dpkg/depcon.c deparchsatisfied.
  #depArchSatisfied(it: Pkg, itArch: string | undefined, against: Possi): boolean {
    if (against.archIsImplicit && it.multiArch === 'foreign') return true;
    const depArch = against.arch;
    const type = against.up.type;
    if (depArch === 'any' && (it.multiArch === 'allowed' || type === 'Conflicts' || type === 'Replaces' || type === 'Breaks')) return true;
    const norm = (a: string | undefined): string => (a === undefined || a === 'all' ? this.#native : a);
    return norm(depArch) === norm(itArch);
  }

  // ---- cycle breaking (src/main/depcon.c) ----

  #findBreakCycle(pkg: Pkg): boolean {
    for (const p of this.#hashOrder()) p.color = 'white';
    return this.#findBreakCycleRecursive(pkg, null);
  }

  #findBreakCycleRecursive(pkg: Pkg, sofar: CycleLink | null): boolean {
    if (pkg.color === 'black') return false;
    pkg.color = 'gray';
    const thislink: CycleLink = { prev: sofar, pkg, possi: null };
    for (const dep of pkg.deps) {
      if (dep.type !== 'Depends' && dep.type !== 'Pre-Depends') continue;
      for (const possi of dep.list) {
        if (possi.cyclebreak) continue;
        thislink.possi = possi;
        for (const pos of this.#possiPkgs(possi)) {
          if (this.#foundCycleBroken(thislink, sofar, pos, possi)) return true;
        }
        for (const providelink of [...possi.ed.depended]) {
          if (providelink.up.type !== 'Provides') continue;
          const provider = providelink.up.up;
          if (provider.istobe === 'normal') continue;
          if (this.#foundCycleBroken(thislink, sofar, provider, possi)) return true;
        }
      }
    }
    pkg.color = 'black';
    return false;
  }

  #foundCycleBroken(thislink: CycleLink, sofar: CycleLink | null, dependedon: Pkg, possi: Possi): boolean {
    let sol: CycleLink | null = sofar;
    while (sol !== null && sol.pkg !== dependedon) sol = sol.prev;
    if (sol === null) return this.#findBreakCycleRecursive(dependedon, thislink);
    // A cycle: prefer a link of a package without a postinst, walking back from here.
    let s: CycleLink = thislink;
    while (!(s !== thislink && s.pkg === dependedon)) {
      if (!s.pkg.hasPostinst) break;
      s = s.prev!;
    }
    s.possi!.cyclebreak = true;
    return true;
  }

  // ---- trigger processing (src/main/trigproc.c) ----

  #trigprocResetCycle(): void {
    this.#tortoiseAdvance = false;
    this.#tortoise = null;
    this.#hare = null;
  }

  // check_trigger_cycle: returns the package given up on, if any.
  #checkTriggerCycle(processingNow: Pkg): Pkg | null {
    const pkgs: { pkg: Pkg; trigs: string[] }[] = [];
    for (const p of this.#hashOrder()) if (p.trigpend.length > 0) pkgs.unshift({ pkg: p, trigs: [...p.trigpend] });
    const tcn: CycleNode = { pkgs, thenProcessed: processingNow, next: null };
    if (this.#hare === null) {
      this.#hare = tcn;
      this.#tortoise = tcn;
      return null;
    }
    this.#hare.next = tcn;
    this.#hare = tcn;
    if (this.#tortoiseAdvance) this.#tortoise = this.#tortoise!.next;
    this.#tortoiseAdvance = !this.#tortoiseAdvance;
    const tortoise = this.#tortoise!;
    for (const t of tortoise.pkgs) {
      const inHare = t.trigs.every((name) => t.pkg.trigpend.includes(name));
      if (!inHare) return null;
    }
    const giveup = tortoise.pkgs[0]!.pkg;
    if (giveup.status !== ST.TRIGGERSAWAITED && giveup.status !== ST.TRIGGERSPENDING) {
      throw new CrossrootError('INSTALL_PLAN_DPKG_ABORT', `package ${giveup.set.name} in non-trigger state ${statusName(giveup.status)}`);
    }
    giveup.istobe = 'normal';
    giveup.status = ST.HALFCONFIGURED;
    this.#note(giveup);
    this.#reportError(giveup, 'triggers looping, abandoned');
    return giveup;
  }

  #trigproc(pkg: Pkg, type: 'queued' | 'deferred' | 'required'): void {
    if (pkg.deferredNode !== undefined) pkg.deferredNode.pkg = null;
    pkg.deferredNode = undefined;
    if (pkg.trigpend.length === 0) {
      this.#trigClearAwaiters(pkg);
      return;
    }
    if (pkg.status !== ST.TRIGGERSPENDING && pkg.status !== ST.TRIGGERSAWAITED) {
      throw new CrossrootError('INSTALL_PLAN_DPKG_ABORT', `package ${pkg.set.name} in non-trigger state ${statusName(pkg.status)}`);
    }
    if (this.#dependtry < TRY.TRIGGERS && type === 'queued') {
      this.#enqueue(pkg);
      return;
    }
    if (this.#dependtry >= TRY.CYCLES && this.#findBreakCycle(pkg)) this.#sincenothing = 0;
    const ok = this.#dependenciesOk(pkg);
    if (ok === DepCheck.DEFER) {
      if (this.#dependtry >= TRY.TRIGGERS_CYCLES && this.#checkTriggerCycle(pkg) === pkg) return;
      this.#enqueue(pkg);
      return;
    }
    if (ok === DepCheck.HALT) {
      if (type === 'deferred') {
        this.#trigprocResetCycle();
        return;
      }
      this.#sincenothing = 0;
      throw new DpkgPackageError('dependency problems - leaving triggers unprocessed');
    }
    if (this.#checkTriggerCycle(pkg) === pkg) return;
    this.events.push({ kind: 'trigger', ...this.#name(pkg), triggers: [...pkg.trigpend] });
    pkg.status = ST.HALFCONFIGURED;
    this.#note(pkg);
    this.#sincenothing = 0;
    // postinst triggered
    this.#postPostinstTasks(pkg);
  }

  #runDeferred(): void {
    for (;;) {
      const node = this.#deferred.pop();
      if (node === undefined) break;
      const pkg = node.pkg;
      if (pkg === null) continue;
      try {
        pkg.deferredNode = undefined;
        this.#trigproc(pkg, 'deferred');
      } catch (err) {
        if (!(err instanceof DpkgPackageError)) throw err;
        this.#reportError(pkg, err.message);
      }
    }
  }

  // ---- the database dpkg writes at the end ----

  snapshot(): DpkgDatabase {
    // pkg_is_informative: installed in some way, or selected for installation.
    const pkgs = this.#hashOrder().filter((p) => (p.info !== undefined && p.status !== ST.NOTINSTALLED) || p.selected !== undefined);
    pkgs.sort((a, b) => compareStatusOrder({ name: a.set.name, arch: a.arch, multiArch: a.multiArch }, { name: b.set.name, arch: b.arch, multiArch: b.multiArch }));
    const specOf = (p: Pkg): string => (p.multiArch === 'same' ? `${p.set.name}:${p.arch}` : p.set.name);
    const packages: InstalledPackage[] = pkgs.map((p) => {
      if (p.status === ST.NOTINSTALLED) {
        const sel = p.selected!;
        return { name: p.set.name, version: sel.version, architecture: p.arch ?? sel.architecture, relations: [], hasPostinst: false, status: 'not-installed' };
      }
      const out: InstalledPackage = { ...p.info!, status: statusName(p.status) };
      // dump.c w_configversion: not written for installed, not-installed, triggers-pending.
      const writesConfigVersion = p.status !== ST.INSTALLED && p.status !== ST.TRIGGERSPENDING;
      if (p.configVersion !== undefined && writesConfigVersion) out.configVersion = p.configVersion;
      else delete out.configVersion;
      if (p.trigpend.length > 0) out.triggersPending = [...p.trigpend];
      else delete out.triggersPending;
      if (p.trigaw.length > 0) out.triggersAwaited = p.trigaw.map((ta) => specOf(ta.pend));
      else delete out.triggersAwaited;
      return out;
    });
    const interests: TriggerInterest[] = [];
    for (const [trigger, list] of [...this.#explicit].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      for (const e of list) interests.push({ trigger, package: specOf(e.pkg), noawait: e.noawait });
    }
    for (const e of this.#fileOverall) interests.push({ trigger: e.path, package: specOf(e.pkg), noawait: e.noawait });
    return { nativeArch: this.#native, foreignArchs: [...this.#foreign], packages, interests, unincorp: this.#unincorp };
  }
}

// lib/dpkg/depcon.c pkg_virtual_deppossi_satisfied.
function virtualSatisfied(dependee: Pick<Possi, 'op' | 'version'>, provider: Pick<Possi, 'op' | 'version'>): boolean {
  if (provider.op !== undefined && provider.op !== '=') return false;
  if (provider.op === undefined && dependee.op !== undefined) return false;
  if (dependee.op === undefined) return true;
  return satisfiesConstraint(provider.version!, dependee.op, dependee.version!);
}
