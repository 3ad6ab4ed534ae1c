// The dpkg database of a target root, kept and written exactly as dpkg 1.21.23 would —
// a model of `lib/dpkg/dbmodify.c` (modstatdb_*), `lib/dpkg/triglib.c`,
// `lib/dpkg/trigdeferred.c`, `src/main/unpack.c` (process_archive), `src/main/configure.c`
// (deferred_configure), `src/main/trigproc.c` (trigproc) and `src/main/script.c`.
//
// What the caller drives, and what this class does by itself:
// - one DpkgDatabase per root; beginRun()/endRun() bracket one dpkg invocation
//   (modstatdb_open/modstatdb_shutdown), because several things only happen at those
//   boundaries: the status file is reread (Config-Version := Version for installed and
//   triggers-pending packages, Triggers-Pending lists reverse, see below), the journal is
//   folded into `status`, `status-old` is made;
// - the caller chooses the order (unpack order = command line, configure and trigger
//   order = dpkg's process_queue, see DESIGN.md) and calls unpack(), configure(),
//   processTriggers(); each performs dpkg's exact sequence of status changes, runs the
//   maintainer scripts through the caller's runner at the points dpkg runs them, and
//   flushes the database to disk before each (when there is a runner), so host helpers
//   (dpkg-query, dpkg-trigger, dpkg-divert, update-alternatives, debconf) see exactly
//   what they would see under dpkg — journal records and `tmp.ci/` included;
// - after every script it rereads `diversions` and incorporates `triggers/Unincorp`
//   (activations by dpkg-trigger), as post_script_tasks()/post_postinst_tasks() do.
//
// The journal (modstatdb_note): every status change of a package writes its stanza to
// `updates/NNNN` (4 digits from 0000, no trailing empty line, mode 0644); after the 251st
// record of a run (nextupdate > MAXUPDATES = 250) dpkg checkpoints: it rewrites `status`
// from memory (first hard-linking the old one to `status-old`) and deletes the records.
// endRun() checkpoints once more, so `status-old` at the end is the status of the
// previous checkpoint — of the last 251-record boundary of the last run, or, when that
// run wrote fewer records, the status the run started with. A run that changes nothing
// still rewrites `status` (status-old = status). The first run in a root without
// `triggers/Unincorp` checkpoints right away (trig_transitional_activate), creating
// `status-old` from the skeleton's empty `status`. `updates/tmp.i` (512 × "#padding\n")
// exists while a run is open.
//
// Status changes per step (each arrow a journal record, in this order):
// - unpack, fresh:  [trigger records] → install reinstreq half-installed (Version,
//   Architecture, Multi-Arch, Priority, Section only) → preinst install → files →
//   install reinstreq unpacked (all fields; Conffiles hashes `newconffile`) →
//   install ok unpacked;
// - unpack over an installed version: half-configured (reinstreq) → prerm upgrade NEW →
//   unpacked (reinstreq) → half-installed → preinst upgrade OLD NEW → files →
//   half-installed → postrm upgrade NEW → unpacked (reinstreq, new fields) → unpacked;
// - configure: unpacked → one record per conffile (hash := md5 of the new file) →
//   half-configured → postinst configure CONFIG-VERSION (`""` when none) →
//   installed | triggers-awaited (pending triggers are dropped: configuring processes
//   them);
// - trigger processing: half-configured (pending list emptied) → postinst triggered
//   "T1 T2" (in-memory order: most recent activation first) → installed |
//   triggers-awaited | triggers-pending.
//
// Triggers (triglib.c): an activation reaches a package only when it is at least
// triggers-awaited (i.e. configured); it adds the trigger to the front of its pending
// list (status triggers-pending, or triggers-awaited if it awaits others) and, for an
// await activation, makes the activating package await it (an installed activator becomes
// triggers-awaited; a not yet configured one carries Triggers-Awaited and takes the
// state when its postinst has run). When a package has no pending triggers any more, its
// awaiters that await nothing else become installed (or triggers-pending). File
// triggers fire on every data.tar member whose normalised path is an interest (exactly —
// directories fire through their own member), on removed paths and installed conffiles
// with all their parent directories; explicit triggers through `triggers/NAME`.
// Activations in the package's own `triggers` file fire at unpack (old and new file)
// and at configure (installed file). `Triggers-Pending` is written in memory order and
// read back prepending each word, so its order reverses at every run boundary.
//
// Not modelled (callers must not rely on them): removals and purges, conflictors and
// deconfiguration, file takeovers between packages (.list rewrites of the loser,
// disappearing packages), path filters (--path-exclude), interactive conffile prompts,
// error unwinding after a failed maintainer script, dpkg's dependency checks.

import { createHash } from 'node:crypto';
import { lstat, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CrossrootError } from '../../errors.js';
import { compareVersions } from '../../formats/control/version.js';
import { AdminDir } from './admin-dir.js';
import { parseDiversions, parseStatOverrides, type Diversion, type StatOverride } from './diversions.js';
import { formatStanza, formatStatusFile } from './dump.js';
import { dpkgEntryOrder, entryDbName, formatFileList, infoFileName, infoFilePrefix, isInstalledControlMember, normalizeDbPath, toBytes, type DataEntry } from './info-db.js';
import { clonePkgBin, parsePackageStanza, rank, type Conffile, type ParsedStanza, type PkgStatus } from './package.js';
import { compareByNonambigNameArch, PkgInfo, pkgBinName, type TrigAw } from './pkginfo.js';
import { parseStanzas } from './stanza.js';
import {
  classifyTrigger,
  formatExplicitInterests,
  formatFileInterests,
  parseExplicitInterests,
  parseFileInterests,
  parseTriggersControl,
  parseUnincorp,
  TriggerFileError,
  type FileInterest,
  type TriggerDirective,
} from './triggers.js';
import { formatDbVersion, isInformative, type DbVersion } from './version.js';

/** MAXUPDATES (dpkg.h): a checkpoint follows the record that makes nextupdate exceed it. */
export const MAX_UPDATES = 250;
/** createimptmp(): the journal's scratch file while a run is open. */
const IMPORTANT_TMP_CONTENT = '#padding\n'.repeat(512);
/** NEWCONFFILEFLAG, EMPTYHASHFLAG (dpkg.h). */
const NEW_CONFFILE = 'newconffile';
const EMPTY_HASH = '-';
/** dpkg runs with the caller's umask; mmdebstrap and apt use 022. Files dpkg creates with fopen()/open() get 0666/0660 & ~022. */
const MODE_FOPEN = 0o644;
const MODE_LOCK = 0o640;
const MODE_TRIGGERS_LOCK = 0o600;
/** atomic_file_open() fchmod()s every atomically written file to 0644. */
const MODE_ATOMIC = 0o644;

export type MaintScriptName = 'preinst' | 'postinst' | 'prerm' | 'postrm';

/** One maintainer script run, with what dpkg puts in its environment (script.c). */
export interface MaintScriptCall {
  /** DPKG_MAINTSCRIPT_PACKAGE: the name without architecture. */
  package: string;
  /** DPKG_MAINTSCRIPT_ARCH: the architecture of the version the script belongs to (`all` included). */
  arch: string;
  /** DPKG_MAINTSCRIPT_PACKAGE_REFCOUNT: installed instances of the package name. */
  refcount: number;
  /** DPKG_MAINTSCRIPT_NAME and argv[0]. */
  script: MaintScriptName;
  /** The arguments after the script name, e.g. `['configure', '']`. */
  args: string[];
  /** The host path dpkg executes (also the script's $0): `ADMINDIR/tmp.ci/preinst` for a new version's script, `ADMINDIR/info/NAME.SCRIPT` otherwise. */
  path: string;
  /** `tmp.ci`: the package being unpacked; `info`: the installed version (maintscript.ts's naming). */
  from: 'tmp.ci' | 'info';
  /** Whether the version the script belongs to is Multi-Arch: same (info files `NAME:ARCH.*`). */
  multiArchSame: boolean;
}

/** Runs one maintainer script; reject to fail the step (dpkg's error unwinding is not modelled). */
export type MaintScriptRunner = (call: MaintScriptCall) => Promise<void>;

/** A control archive member, as formats/deb/read.ts returns them. */
export interface ControlMemberInput {
  mode: number;
  data: Buffer;
  /** The member's mtime in control.tar: dpkg extracts it with it and keeps it in info/. */
  mtime?: number;
}

export interface UnpackInput {
  /** control.tar members by name (must include `control`). */
  members: ReadonlyMap<string, ControlMemberInput>;
  /** For messages: the .deb file name. */
  file?: string;
}

export interface UnpackOptions {
  runScript?: MaintScriptRunner;
  /**
   * Called once preinst has run, where dpkg extracts data.tar: extract (or have extracted)
   * the files and return the members in archive order. Regular files need `md5` unless
   * the package has an md5sums member and no conffiles.
   */
  extract: () => Promise<readonly DataEntry[]> | readonly DataEntry[];
}

export interface UnpackResult {
  /** The package as dpkg names it non-ambiguously (`libc6:amd64` for Multi-Arch: same). */
  package: string;
  /** Set when dpkg would skip the archive (same version installed is not skipped; a lower one is). */
  skipped?: string;
  /** Upgrades: paths of the old version absent from the new one, deepest first, that dpkg deletes. */
  obsoletePaths: string[];
}

/**
 * What happens to a conffile at configure time (deferred_configure_conffile):
 * `install`: the new file replaces the current one, or there was none (fires file triggers);
 * `keep`: the current file stays (identical, or the admin's choice);
 * `keep-backup`: kept, the new one saved as `.dpkg-dist` (fires file triggers);
 * `missing`: the conffile path cannot be resolved (hash `-`, no record);
 * `ghost`: the `.dpkg-new` file is gone (another instance of a Multi-Arch: same set took care of it).
 */
export type ConffileAction = 'install' | 'keep' | 'keep-backup' | 'missing' | 'ghost';

export interface ConfigureOptions {
  runScript?: MaintScriptRunner;
  /** Decides each conffile's fate; default `install` (a root whose conffiles were not there yet). */
  conffile?: (path: string, newHash: string) => ConffileAction | Promise<ConffileAction>;
}

export interface TriggerOptions {
  runScript?: MaintScriptRunner;
}

export interface BeginRunOptions {
  /** `--no-triggers`: activations do not enter the deferred trigger-processing queue. */
  noTriggers?: boolean;
  /** DPKG_FRONTEND_LOCKED is set (apt holds `lock-frontend`): dpkg does not create it. */
  frontendLocked?: boolean;
}

export interface OpenOptions {
  /** The admin directory; default `ROOT/var/lib/dpkg`. */
  admindir?: string;
  /** dpkg's native architecture; default the first line of `ADMINDIR/arch`. */
  nativeArch?: string;
  /** Called with dpkg's parser warnings. */
  onWarning?: (message: string) => void;
}

/** A read-only view of one package instance. */
export interface PackageView {
  name: string;
  arch?: string;
  multiArch: string;
  want: string;
  eflag: string;
  status: PkgStatus;
  version?: string;
  configVersion?: string;
  triggersPending: string[];
  triggersAwaited: string[];
}

/**
 * The dpkg database of one root, written byte for byte as dpkg 1.21.23 writes it.
 *
 * @example
 * const db = await DpkgDatabase.open('/tmp/root', { nativeArch: 'arm64' });
 * await db.beginRun();
 * await db.unpack(deb, { runScript, extract: () => entries });
 * await db.configure('base-files', { runScript });
 * await db.endRun();
 */
export class DpkgDatabase {
  readonly root: string;
  readonly admindir: string;
  readonly nativeArch: string;
  readonly #disk: AdminDir;
  readonly #onWarning: (message: string) => void;

  #sets = new Map<string, PkgInfo[]>();
  #inRun = false;
  #runOptions: BeginRunOptions = {};
  #nextUpdate = 0;
  /** What `status` holds on disk (after the staged writes): null when absent. */
  #statusOnDisk: Buffer | null = null;
  /**
   * File-trigger interests in `triggers/File` order (dpkg's filetriggers list); each
   * path's own list (namenode->trig_interested) is prepended to, i.e. this order reversed.
   */
  #fileInterests: FileInterestEntry[] | undefined;
  /** Package file lists (info/*.list), read on demand. */
  #lists = new Map<PkgInfo, { names: string[]; set: Set<string> }>();
  /** fsys namenode->newhash: MD5 of files unpacked in this run, by database path. */
  #newHash = new Map<string, string>();
  /** Dist hashes of unpacked conffiles (by `name:arch`), for configure. */
  #conffileHash = new Map<string, Map<string, string>>();
  #diversions: Diversion[] = [];
  #diversionsText: string | undefined;
  /** trigproc's deferred queue (trigproc_enqueue_deferred). */
  #deferred: PkgInfo[] = [];
  /** Awaited pends collected while parsing the status file (trig_awaited_pend_*). */
  #awaitedPend: PkgInfo[] = [];
  #unpacking = false;
  /** info/format: 0 (legacy, also when missing) or 1 (multiarch). */
  #infoFormat = 0;

  private constructor(root: string, admindir: string, nativeArch: string, onWarning: (m: string) => void) {
    this.root = root;
    this.admindir = admindir;
    this.nativeArch = nativeArch;
    // Inside the root, every directory from the root down is checked (scripts may have replaced one).
    this.#disk = new AdminDir(admindir, admindir.startsWith(`${root.replace(/\/+$/, '')}/`) ? root.replace(/\/+$/, '') : admindir);
    this.#onWarning = onWarning;
  }

  /**
   * Opens the database of `root` (which may not exist yet: dpkg creates it on first use).
   *
   * @example
   * const db = await DpkgDatabase.open('/tmp/root');
   */
  static async open(root: string, options: OpenOptions = {}): Promise<DpkgDatabase> {
    const admindir = options.admindir ?? join(root, 'var/lib/dpkg');
    let native = options.nativeArch;
    if (native === undefined) {
      const arch = await readFile(join(admindir, 'arch'), 'latin1').catch(() => undefined);
      native = arch?.split('\n')[0];
      if (native === undefined || native === '') {
        throw new CrossrootError('INSTALL_DPKGDB_ARCH', 'no native architecture: pass nativeArch or write var/lib/dpkg/arch', { path: admindir });
      }
    }
    const db = new DpkgDatabase(root, admindir, native, options.onWarning ?? (() => {}));
    await db.#loadStatus();
    return db;
  }

  // ───────────────────────────── runs ─────────────────────────────

  /**
   * Starts a dpkg invocation (modstatdb_open for writing, then pkg_infodb_upgrade):
   * lock files, journal folded into status, trigger state initialised and Unincorp
   * incorporated, `info/format` written.
   */
  async beginRun(options: BeginRunOptions = {}): Promise<void> {
    if (this.#inRun) throw this.#error('INSTALL_DPKGDB_RUN', 'a run is already open');
    try {
      await this.#open(options);
    } catch (err) {
      this.#inRun = false;
      throw err;
    }
  }

  async #open(options: BeginRunOptions): Promise<void> {
    this.#inRun = true;
    this.#runOptions = options;
    this.#newHash = new Map();
    this.#deferred = [];
    this.#lists = new Map();
    this.#fileInterests = undefined;
    // modstatdb_lock(): created by open(O_CREAT|O_TRUNC, 0660) — empty files.
    if (!options.frontendLocked) this.#disk.write('lock-frontend', '', (await this.#disk.mode('lock-frontend')) ?? MODE_LOCK);
    this.#disk.write('lock', '', (await this.#disk.mode('lock')) ?? MODE_LOCK);
    // cleanupdates(): parse status, then fold in leftover journal records.
    await this.#loadStatus();
    const format = (await this.#disk.read('info/format'))?.toString('latin1');
    this.#infoFormat = format === undefined ? 0 : Number.parseInt(format, 10);
    if (!Number.isInteger(this.#infoFormat) || this.#infoFormat < 0 || this.#infoFormat > 1) {
      throw this.#error('INSTALL_DPKGDB_FORMAT', `info database format (${format?.trim()}) is bogus or too new`, { file: 'info/format' });
    }
    const leftovers = (await this.#disk.list('updates')).filter((n) => /^[0-9]+$/.test(n));
    if (leftovers.length > 0) {
      for (const name of leftovers) {
        const text = (await this.#disk.read(`updates/${name}`))!.toString('latin1');
        for (const stanza of parseStanzas(text, { file: `updates/${name}`, lax: true })) this.#applyStatusStanza(stanza, `updates/${name}`, 'update');
      }
      this.#writeStatus();
      for (const name of leftovers) this.#disk.remove(`updates/${name}`);
    } else {
      this.#disk.mkdir('updates');
    }
    this.#nextUpdate = 0;
    this.#disk.write('updates/tmp.i', IMPORTANT_TMP_CONTENT, MODE_FOPEN);
    // trig_fixup_awaiters(), then trig_incorporate().
    const awaited = this.#awaitedPend;
    this.#awaitedPend = [];
    for (const pend of awaited) if (pend.trigpend.length === 0) this.#clearAwaiters(pend);
    await this.#incorporate();
    // pkg_infodb_upgrade(): convert a legacy layout (a missing format file) to multiarch.
    if (this.#infoFormat < 1) await this.#upgradeInfoFormat();
    await this.#ensureDiversions();
  }

  /**
   * pkg_infodb_upgrade_to_multiarch(): files of installed Multi-Arch: same packages get
   * their `NAME:ARCH.TYPE` names (linked, then the old names removed), then `format`.
   */
  async #upgradeInfoFormat(): Promise<void> {
    const renamed: string[] = [];
    for (const entry of await this.#disk.list('info')) {
      if (entry.startsWith('.')) continue;
      const dot = entry.lastIndexOf('.');
      if (dot < 0) continue;
      const name = entry.slice(0, dot);
      if (name.includes(':')) continue;
      const pkg = (this.#sets.get(name) ?? []).find((p) => p.status !== 'not-installed');
      if (pkg === undefined) {
        this.#onWarning(`info file ${entry} not associated to any package`);
        continue;
      }
      if (pkg.installed.multiarch !== 'same') continue;
      const target = `info/${pkg.name}:${pkg.installed.arch}.${entry.slice(dot + 1)}`;
      if (!(await this.#disk.exists(target))) this.#disk.write(target, (await this.#disk.read(`info/${entry}`))!, (await this.#disk.mode(`info/${entry}`))!);
      renamed.push(`info/${entry}`);
    }
    this.#disk.mkdir('info');
    this.#disk.write('info/format', '1\n', MODE_ATOMIC);
    this.#infoFormat = 1;
    for (const old of renamed) this.#disk.remove(old);
  }

  /** Ends the dpkg invocation (modstatdb_shutdown): final checkpoint, journal scratch file removed, everything flushed. */
  async endRun(): Promise<void> {
    this.#requireRun();
    this.#checkpoint();
    this.#disk.remove('updates/tmp.i');
    this.#inRun = false;
    await this.flush();
  }

  /** Writes every staged change to disk (each file atomically). unpack()/configure()/processTriggers() call it before each script. */
  async flush(): Promise<void> {
    await this.#disk.flush();
  }

  // ───────────────────────────── actions ─────────────────────────────

  /**
   * Unpacks one package the way process_archive() does (see the top of this file for
   * the exact record sequence). `extract` is called after preinst.
   *
   * @example
   * await db.unpack({ members: c.members, file }, { extract: async () => entries });
   */
  async unpack(input: UnpackInput, options: UnpackOptions): Promise<UnpackResult> {
    this.#requireRun();
    const file = input.file ?? 'control';
    const controlMember = input.members.get('control');
    if (controlMember === undefined) throw this.#error('INSTALL_DPKGDB_CONTROL', 'control archive has no control file', { file });
    const stanzas = parseStanzas(controlMember.data.toString('latin1'), { file: `${file}: control` });
    if (stanzas.length !== 1) {
      throw this.#error('INSTALL_DPKGDB_PARSE', stanzas.length === 0 ? 'no package information' : 'several package info entries found, only one allowed', { file });
    }
    const parsed = parsePackageStanza(stanzas[0]!, { file: `${file}: control`, kind: 'binary', onWarning: this.#onWarning });
    const pkg = this.#findSlotForNew(parsed);
    // pkg_parse_copy(): classification belongs to the package; the control file's wins.
    if (parsed.section !== undefined) pkg.section = parsed.section;
    if (parsed.priority !== undefined) pkg.priority = parsed.priority;
    pkg.available = parsed.bin;
    const arch = pkg.available.arch ?? '';
    if (arch !== 'all' && arch !== this.nativeArch && !(await this.#foreignArchs()).includes(arch)) {
      throw this.#error('INSTALL_DPKGDB_ARCH', `package architecture (${arch}) does not match system (${this.nativeArch})`, { file, package: pkg.name });
    }
    const label = this.#name(pkg, pkg.available);
    const skip = this.#wantToInstall(pkg);
    if (skip !== undefined) return { package: label, skipped: skip, obsoletePaths: [] };
    pkg.want = 'install';

    // get_control_dir() + dpkg-deb --control: the new control files in tmp.ci/.
    this.#disk.rmdir('tmp.ci');
    this.#disk.mkdir('tmp.ci');
    for (const [name, m] of input.members) this.#disk.write(`tmp.ci/${name}`, m.data, m.mode & 0o7777, m.mtime);
    this.#unpacking = true;
    try {
      return await this.#unpackSteps(pkg, input, options, label);
    } finally {
      this.#unpacking = false;
      this.#disk.rmdir('tmp.ci');
    }
  }

  async #unpackSteps(pkg: PkgInfo, input: UnpackInput, options: UnpackOptions, label: string): Promise<UnpackResult> {
    const file = input.file ?? 'control';
    const newTriggers = this.#parseTriggers(input.members.get('triggers')?.data, `${file}: triggers`);
    // trig_activate_packageprocessing() (old triggers file), then the new file's activations.
    await this.#activatePackageProcessing(pkg);
    for (const d of newTriggers) if (d.kind === 'activate') await this.#statusChangeActivate(d, pkg);

    const newConffiles = await this.#parseNewConffiles(pkg, input.members.get('conffiles')?.data, file);
    let oldStatus = pkg.status;
    const newVersion = formatDbVersion(pkg.available.version!);
    const oldVersion = isInformative(pkg.installed.version) ? formatDbVersion(pkg.installed.version) : '';
    if (oldStatus === 'half-configured' || oldStatus === 'triggers-awaited' || oldStatus === 'triggers-pending' || oldStatus === 'installed') {
      pkg.eflag = 'reinstreq';
      pkg.setStatus('half-configured');
      this.#note(pkg);
      await this.#runInstalled(pkg, 'prerm', ['upgrade', newVersion], options.runScript, true);
      pkg.setStatus('unpacked');
      oldStatus = 'unpacked';
      this.#note(pkg);
    }
    pkg.eflag = 'reinstreq';
    if (pkg.status === 'not-installed') {
      pkg.installed.version = pkg.available.version;
      pkg.installed.multiarch = pkg.available.multiarch;
    }
    pkg.setStatus('half-installed');
    this.#note(pkg);
    const preinstArgs = oldStatus === 'not-installed' ? ['install'] : oldStatus === 'config-files' ? ['install', oldVersion, newVersion] : ['upgrade', oldVersion, newVersion];
    await this.#runNew(pkg, input, 'preinst', preinstArgs, options.runScript);

    // tar_extractor(): members in order, symbolic links deferred; tarobject() fires
    // the file triggers of each member's (diverted) name.
    const entries = dpkgEntryOrder(await options.extract());
    const newNames: string[] = [];
    for (const entry of entries) {
      const name = entryDbName(entry);
      newNames.push(name);
      if (entry.type === 'file' && !entry.path.endsWith('/')) {
        const md5 = entry.md5 ?? (await this.#md5OfRootFile(name));
        this.#newHash.set(name, md5);
      } else if (entry.type === 'hardlink' && entry.linkname !== undefined) {
        // namenode->newhash = linknode->newhash, even when that is none.
        const target = this.#newHash.get(normalizeDbPath(toBytes(entry.linkname)));
        if (target !== undefined) this.#newHash.set(name, target);
        else this.#newHash.delete(name);
      }
      await this.#fileActivate(this.#useName(name, pkg), pkg);
    }

    if (oldStatus === 'half-installed' || oldStatus === 'unpacked') {
      pkg.setStatus('half-installed');
      this.#note(pkg);
      await this.#runInstalled(pkg, 'postrm', ['upgrade', newVersion], options.runScript, true);
    }

    // pkg_remove_old_files(): what the old version had and the new one lacks.
    const obsoletePaths = await this.#removeOldFiles(pkg, new Set(newNames), newConffiles);

    // write_filelist_except().
    this.#disk.write(`info/${this.#infoName(pkg, pkg.available, 'list')}`, formatFileList(newNames), MODE_ATOMIC);
    this.#lists.set(pkg, { names: newNames, set: new Set(newNames) });

    // Trigger interests: the old ones go, the new ones come (at the end of each list).
    const oldTriggers = await this.#installedTriggers(pkg);
    for (const d of oldTriggers) if (d.kind === 'interest') await this.#interestChange(d, pkg, pkg.installed, -1);
    for (const d of newTriggers) if (d.kind === 'interest') await this.#interestChange(d, pkg, pkg.available, +1);
    this.#saveFileInterests();

    await this.#infodbUpdate(pkg, input);

    // write_filehash_except(): only when the package brought no md5sums.
    const md5sumsName = `info/${this.#infoName(pkg, pkg.available, 'md5sums')}`;
    if (!(await this.#disk.exists(md5sumsName))) {
      const lines = newNames.flatMap((n) => {
        const h = this.#newHash.get(n);
        return h === undefined ? [] : [`${h}  ${n.slice(1)}\n`];
      });
      this.#disk.write(md5sumsName, lines.join(''), MODE_ATOMIC);
    }

    // pkg_update_fields().
    pkg.installed = clonePkgBin(pkg.available);
    pkg.installed.conffiles = newConffiles;
    const hashes = new Map<string, string>();
    for (const c of newConffiles) {
      const h = this.#newHash.get(c.name);
      if (h !== undefined) hashes.set(c.name, h);
    }
    this.#conffileHash.set(`${pkg.name}:${pkg.installed.arch ?? ''}`, hashes);

    pkg.setStatus('unpacked');
    this.#note(pkg);
    pkg.eflag = 'ok';
    this.#note(pkg);
    return { package: label, obsoletePaths };
  }

  /**
   * Configures an unpacked (or half-configured) package the way deferred_configure()
   * does. Dependencies are the caller's business.
   *
   * @example
   * await db.configure('libc6:amd64', { runScript });
   */
  async configure(ref: string, options: ConfigureOptions = {}): Promise<void> {
    this.#requireRun();
    const pkg = this.#resolve(ref);
    if (pkg === undefined || pkg.status === 'not-installed') throw this.#error('INSTALL_DPKGDB_STATE', `no package named '${ref}' is installed, cannot configure`);
    if (pkg.status === 'installed') throw this.#error('INSTALL_DPKGDB_STATE', `package ${ref} is already installed and configured`);
    if (pkg.status !== 'unpacked' && pkg.status !== 'half-configured') {
      throw this.#error('INSTALL_DPKGDB_STATE', `package ${ref} is not ready for configuration (current status '${pkg.status}')`);
    }
    await this.#activatePackageProcessing(pkg);
    if (pkg.status === 'unpacked') {
      this.#note(pkg);
      for (const conff of pkg.installed.conffiles) {
        if (conff.obsolete || conff.removeOnUpgrade) continue;
        await this.#configureConffile(pkg, conff, options);
      }
      pkg.setStatus('half-configured');
    }
    this.#note(pkg);
    const configVersion = isInformative(pkg.configVersion) ? formatDbVersion(pkg.configVersion) : '';
    await this.#runInstalled(pkg, 'postinst', ['configure', configVersion], options.runScript, false);
    pkg.eflag = 'ok';
    pkg.trigpend = [];
    await this.#postPostinstTasks(pkg, 'installed');
  }

  /**
   * Processes a package's pending triggers the way trigproc() does; a package without
   * pending triggers only releases its awaiters.
   *
   * @example
   * await db.processTriggers('libc-bin', { runScript });
   */
  async processTriggers(ref: string, options: TriggerOptions = {}): Promise<void> {
    this.#requireRun();
    const pkg = this.#resolve(ref);
    if (pkg === undefined) throw this.#error('INSTALL_DPKGDB_STATE', `no package named '${ref}'`);
    this.#deferred = this.#deferred.filter((p) => p !== pkg);
    if (pkg.trigpend.length === 0) {
      this.#clearAwaiters(pkg);
      return;
    }
    if (pkg.status !== 'triggers-pending' && pkg.status !== 'triggers-awaited') {
      throw this.#error('INSTALL_DPKGDB_STATE', `package ${ref} in non-trigger state ${pkg.status}`);
    }
    const names = pkg.trigpend.join(' ');
    pkg.setStatus('half-configured');
    this.#note(pkg);
    await this.#runInstalled(pkg, 'postinst', ['triggered', names], options.runScript, false);
    await this.#postPostinstTasks(pkg, 'installed');
  }

  /**
   * trigproc_populate_deferred(): queues every wanted package with pending triggers (dpkg
   * does this for `--configure PKG...`).
   */
  populateDeferredTriggers(): void {
    for (const pkg of this.#allPkgs()) {
      if (pkg.trigpend.length === 0) continue;
      if (pkg.status !== 'triggers-awaited' && pkg.status !== 'triggers-pending') continue;
      if (pkg.want !== 'install' && pkg.want !== 'hold') continue;
      this.#enqueueDeferred(pkg);
    }
  }

  /** trigproc_run_deferred()'s queue: packages to process, in order (names non-ambiguous). */
  deferredTriggers(): string[] {
    return this.#deferred.map((p) => this.#name(p, p.installed));
  }

  /**
   * trigproc_run_deferred() without dpkg's dependency and cycle checks: processes the
   * queue in order until it is empty (processing may queue more). Use it where dpkg's
   * checks cannot fail (trigger interests of configured packages whose dependencies are
   * configured); otherwise drive processTriggers() from a planner.
   */
  async runDeferredTriggers(options: TriggerOptions = {}): Promise<void> {
    this.#requireRun();
    let budget = 10_000;
    for (let pkg = this.#deferred[0]; pkg !== undefined; pkg = this.#deferred[0]) {
      if (--budget < 0) throw this.#error('INSTALL_DPKGDB_TRIGGER_CYCLE', `trigger processing does not end (last: ${this.#name(pkg)})`);
      await this.processTriggers(this.#name(pkg), options);
    }
  }

  // ───────────────────────────── queries ─────────────────────────────

  /** One package instance (`name` or `name:arch`), or undefined. */
  package(ref: string): PackageView | undefined {
    const pkg = this.#resolve(ref);
    return pkg === undefined || pkg.status === 'not-installed' ? undefined : this.#view(pkg);
  }

  /** Every package instance that is not `not-installed`, in status-file order. */
  packages(): PackageView[] {
    return formatOrder(this.#allPkgs().filter((p) => p.status !== 'not-installed'), this.nativeArch).map((p) => this.#view(p));
  }

  /** The diversions in force (as dpkg-divert left them; dpkg rereads them after every script). */
  async readDiversions(): Promise<Diversion[]> {
    await this.#ensureDiversions();
    return [...this.#diversions];
  }

  /** The stat overrides (dpkg-statoverride's file), which the unpacker applies to file modes and owners. */
  async readStatOverrides(): Promise<Map<string, StatOverride>> {
    const text = (await this.#disk.read('statoverride'))?.toString('latin1') ?? '';
    try {
      return parseStatOverrides(text);
    } catch (err) {
      throw this.#error('INSTALL_DPKGDB_STATOVERRIDE', (err as Error).message, { file: 'statoverride' });
    }
  }

  /** The status file dpkg would write now (writedb). */
  statusText(): string {
    return formatStatusFile(this.#allPkgs(), this.nativeArch);
  }

  // ───────────────────────────── journal ─────────────────────────────

  /** modstatdb_note(). */
  #note(pkg: PkgInfo): void {
    if (pkg.status !== 'triggers-pending' && pkg.status !== 'triggers-awaited') pkg.trigpend = [];
    if (rank(pkg.status) <= rank('config-files')) {
      for (const ta of pkg.trigaw) ta.aw = null;
      pkg.trigaw = [];
    }
    // modstatdb_note_core().
    this.#disk.write(`updates/${String(this.#nextUpdate).padStart(4, '0')}`, formatStanza(pkg, this.nativeArch), MODE_FOPEN);
    this.#nextUpdate++;
    if (this.#nextUpdate > MAX_UPDATES) this.#checkpoint();
    if (pkg.trigpend.length === 0 && pkg.othertrigaw.length > 0) this.#clearAwaiters(pkg);
  }

  /** modstatdb_checkpoint(). */
  #checkpoint(): void {
    this.#writeStatus();
    for (let i = 0; i < this.#nextUpdate; i++) this.#disk.remove(`updates/${String(i).padStart(4, '0')}`);
    this.#nextUpdate = 0;
  }

  /** writedb() with ATOMIC_FILE_BACKUP: the old status becomes status-old. */
  #writeStatus(): void {
    if (this.#statusOnDisk !== null) this.#disk.write('status-old', this.#statusOnDisk, MODE_ATOMIC);
    else this.#disk.remove('status-old');
    const text = Buffer.from(formatStatusFile(this.#allPkgs(), this.nativeArch), 'latin1');
    this.#disk.write('status', text, MODE_ATOMIC);
    this.#statusOnDisk = text;
  }

  // ───────────────────────────── status parsing ─────────────────────────────

  /** parsedb(status): the in-core database afresh, as a new dpkg process builds it. */
  async #loadStatus(): Promise<void> {
    this.#sets = new Map();
    this.#awaitedPend = [];
    const data = (await this.#disk.read('status')) ?? null;
    this.#statusOnDisk = data;
    if (data === null) return;
    for (const stanza of parseStanzas(data.toString('latin1'), { file: 'status', lax: true })) this.#applyStatusStanza(stanza, 'status');
  }

  #applyStatusStanza(stanza: ReturnType<typeof parseStanzas>[number], file: string, kind: 'status' | 'update' = 'status'): void {
    const p = parsePackageStanza(stanza, { file, kind, onWarning: this.#onWarning });
    // parse_find_pkg_slot() for the status file: one slot per architecture.
    const pkg = this.#getPkg(p.name, p.bin.arch ?? '');
    this.#copyParsed(pkg, p);
  }

  /** pkg_parse_copy() for a status stanza. */
  #copyParsed(pkg: PkgInfo, p: ParsedStanza): void {
    if (p.section !== undefined && pkg.section === undefined) pkg.section = p.section;
    if (p.priority !== undefined && pkg.priority === undefined) pkg.priority = p.priority;
    pkg.installed = p.bin;
    pkg.want = p.want;
    pkg.eflag = p.eflag;
    pkg.status = p.status;
    // pkg_parse_verify(): installed and triggers-pending packages are configured at Version.
    pkg.configVersion = p.configVersion ?? (p.status === 'installed' || p.status === 'triggers-pending' ? p.bin.version : undefined);
    // f_trigpend(): each word is prepended.
    pkg.trigpend = [...p.triggersPending].reverse();
    for (const ta of pkg.trigaw) ta.aw = null;
    pkg.trigaw = [];
    for (const spec of p.triggersAwaited) {
      const pend = this.#specPkg(spec, true);
      if (pend === undefined) throw this.#error('INSTALL_DPKGDB_PARSE', `illegal package name in awaited trigger '${spec}'`, { file: 'status' });
      this.#noteTrigAw(pend, pkg);
      if (!this.#awaitedPend.includes(pend)) this.#awaitedPend.unshift(pend);
    }
  }

  // ───────────────────────────── package table ─────────────────────────────

  #allPkgs(): PkgInfo[] {
    return [...this.#sets.values()].flat();
  }

  /** pkg_hash_get_pkg(): the instance for `arch`, reusing a single unused slot. */
  #getPkg(name: string, arch: string): PkgInfo {
    let set = this.#sets.get(name);
    if (set === undefined) {
      set = [];
      this.#sets.set(name, set);
    }
    if (set.length === 1 && set[0]!.installed.arch === undefined) {
      set[0]!.installed.arch = arch;
      set[0]!.available.arch = arch;
      return set[0]!;
    }
    const found = set.find((p) => p.installed.arch === arch);
    if (found !== undefined) return found;
    const pkg = new PkgInfo(name);
    pkg.installed.arch = arch;
    pkg.available.arch = arch;
    set.push(pkg);
    return pkg;
  }

  #installedInstances(name: string): PkgInfo[] {
    return (this.#sets.get(name) ?? []).filter((p) => p.status !== 'not-installed');
  }

  /** parse_find_pkg_slot() for a .deb's control file (cross-grades keep the installed slot). */
  #findSlotForNew(p: ParsedStanza): PkgInfo {
    const installed = this.#installedInstances(p.name);
    if (installed.length > 1 && p.bin.multiarch !== 'same') {
      throw this.#error('INSTALL_DPKGDB_STATE', `package ${p.name} is not co-installable with ${p.name} which has multiple installed instances`);
    }
    if (installed.length === 1) {
      const only = installed[0]!;
      if (only.installed.multiarch === 'same' && p.bin.multiarch === 'same') return this.#getPkg(p.name, p.bin.arch ?? '');
      return only;
    }
    return this.#getPkg(p.name, p.bin.arch ?? '');
  }

  /** pkg_spec_parse_pkg(): `name:arch`, or `name` (the single instance). */
  #specPkg(spec: string, create = false): PkgInfo | undefined {
    const colon = spec.indexOf(':');
    const name = (colon < 0 ? spec : spec.slice(0, colon)).toLowerCase();
    if (colon >= 0) {
      const arch = spec.slice(colon + 1);
      const found = this.#sets.get(name)?.find((p) => p.installed.arch === arch);
      return found ?? (create ? this.#getPkg(name, arch) : undefined);
    }
    // pkg_hash_get_singleton().
    const set = this.#sets.get(name);
    if (set === undefined || set.length === 0) {
      if (!create) return undefined;
      const pkg = new PkgInfo(name);
      this.#sets.set(name, [pkg]);
      return pkg;
    }
    const installed = set.filter((p) => p.status !== 'not-installed');
    if (installed.length === 1) return installed[0];
    if (installed.length > 1) return undefined;
    return set.find((p) => p.available.arch === this.nativeArch || p.available.arch === 'all') ?? set[0];
  }

  #resolve(ref: string): PkgInfo | undefined {
    return this.#specPkg(ref);
  }

  /** pkg_infodb_get_file(): the arch-qualified names exist only in the multiarch layout (format 1). */
  #infoName(pkg: PkgInfo, bin: PkgInfo['installed'], type: string): string {
    return this.#infoFormat >= 1 ? infoFileName(pkg.name, bin, type) : `${pkg.name}.${type}`;
  }

  #infoPrefix(pkg: PkgInfo, bin: PkgInfo['installed']): string {
    return this.#infoFormat >= 1 ? infoFilePrefix(pkg.name, bin) : pkg.name;
  }

  #name(pkg: PkgInfo, bin = pkg.installed): string {
    return pkgBinName(pkg, bin, 'nonambig', this.nativeArch);
  }

  #view(pkg: PkgInfo): PackageView {
    return {
      name: pkg.name,
      arch: pkg.installed.arch,
      multiArch: pkg.installed.multiarch,
      want: pkg.want,
      eflag: pkg.eflag,
      status: pkg.status,
      version: isInformative(pkg.installed.version) ? formatDbVersion(pkg.installed.version) : undefined,
      configVersion: isInformative(pkg.configVersion) ? formatDbVersion(pkg.configVersion) : undefined,
      triggersPending: [...pkg.trigpend],
      triggersAwaited: pkg.trigaw.map((ta) => this.#name(ta.pend)),
    };
  }

  /** wanttoinstall() with dpkg --install's defaults (selects, does not skip same versions). */
  #wantToInstall(pkg: PkgInfo): string | undefined {
    if (pkg.eflag === 'reinstreq' || rank(pkg.status) < rank('unpacked')) return undefined;
    const rc = compareVersions(pkg.available.version!, pkg.installed.version!);
    if (rc >= 0) return undefined;
    return `will not downgrade ${pkg.name} from ${formatDbVersion(pkg.installed.version!)} to ${formatDbVersion(pkg.available.version!)}, skipping`;
  }

  async #foreignArchs(): Promise<string[]> {
    const text = (await this.#disk.read('arch'))?.toString('latin1') ?? '';
    return text.split('\n').filter((l) => l !== '');
  }

  // ───────────────────────────── scripts ─────────────────────────────

  /** maintscript_installed() / maintscript_postinst(): a script from info/. */
  async #runInstalled(pkg: PkgInfo, script: MaintScriptName, args: string[], runner: MaintScriptRunner | undefined, postScriptTasks: boolean): Promise<void> {
    const rel = `info/${this.#infoName(pkg, pkg.installed, script)}`;
    const ran = await this.#exec(pkg, pkg.installed, script, args, rel, 'info', runner);
    if (!ran) return;
    if (postScriptTasks) await this.#postScriptTasks();
    else await this.#ensureDiversions();
  }

  /** maintscript_new(): a script of the version being unpacked, from tmp.ci/. */
  async #runNew(pkg: PkgInfo, input: UnpackInput, script: MaintScriptName, args: string[], runner: MaintScriptRunner | undefined): Promise<void> {
    if (!input.members.has(script)) return;
    const ran = await this.#exec(pkg, pkg.available, script, args, `tmp.ci/${script}`, 'tmp.ci', runner);
    if (ran) await this.#postScriptTasks();
  }

  async #exec(pkg: PkgInfo, bin: PkgInfo['installed'], script: MaintScriptName, args: string[], rel: string, from: 'tmp.ci' | 'info', runner: MaintScriptRunner | undefined): Promise<boolean> {
    const mode = await this.#disk.mode(rel);
    if (mode === undefined) return false;
    // setexecute(): a script not executable by all is made 0755 first.
    if ((mode & 0o555) !== 0o555) this.#disk.write(rel, (await this.#disk.read(rel))!, 0o755, await this.#disk.mtime(rel));
    // Helpers the script calls read the database: it must be on disk, as dpkg's is.
    if (runner !== undefined) await this.flush();
    const call: MaintScriptCall = {
      package: pkg.name,
      arch: bin.arch ?? '',
      refcount: this.#installedInstances(pkg.name).length,
      script,
      args,
      path: join(this.admindir, rel),
      from,
      multiArchSame: bin.multiarch === 'same',
    };
    await runner?.(call);
    return true;
  }

  /** post_script_tasks(). */
  async #postScriptTasks(): Promise<void> {
    await this.#ensureDiversions();
    await this.#incorporate();
  }

  /** post_postinst_tasks(). */
  async #postPostinstTasks(pkg: PkgInfo, newStatus: PkgStatus): Promise<void> {
    if (rank(newStatus) < rank('triggers-awaited')) pkg.setStatus(newStatus);
    else if (pkg.trigaw.length > 0) pkg.setStatus('triggers-awaited');
    else if (pkg.trigpend.length > 0) pkg.setStatus('triggers-pending');
    else pkg.setStatus('installed');
    this.#note(pkg);
    await this.#incorporate();
  }

  async #ensureDiversions(): Promise<void> {
    const text = (await this.#disk.read('diversions'))?.toString('latin1');
    if (text === this.#diversionsText) return;
    this.#diversionsText = text;
    try {
      this.#diversions = text === undefined ? [] : parseDiversions(text);
    } catch (err) {
      throw this.#error('INSTALL_DPKGDB_DIVERSIONS', (err as Error).message, { file: 'diversions' });
    }
  }

  /** namenodetouse(): the diverted name, unless the package is the diverter. */
  #useName(name: string, pkg: PkgInfo): string {
    const d = this.#diversions.find((x) => x.from === name);
    return d !== undefined && d.package !== pkg.name ? d.to : name;
  }

  // ───────────────────────────── triggers ─────────────────────────────

  /**
   * trig_incorporate(): on the first run in a root (no Unincorp) the transitional
   * activation and a checkpoint; otherwise the activations dpkg-trigger queued, after
   * which Unincorp is left empty.
   */
  async #incorporate(): Promise<void> {
    await this.#ensureFileInterests();
    this.#disk.mkdir('triggers');
    if (!(await this.#disk.exists('triggers/Lock'))) this.#disk.write('triggers/Lock', '', MODE_TRIGGERS_LOCK);
    const unincorp = await this.#disk.read('triggers/Unincorp');
    if (unincorp === undefined) {
      // TDUS_NO_DEFERRED with TDUF_WRITE_IF_ENOENT: Unincorp.new is created, then renamed.
      await this.#transitionalActivate();
      this.#disk.write('triggers/Unincorp', '', MODE_FOPEN);
      return;
    }
    if (unincorp.length === 0) return;
    let lines;
    try {
      lines = parseUnincorp(unincorp.toString('latin1'), 'triggers/Unincorp');
    } catch (err) {
      throw this.#error('INSTALL_DPKGDB_TRIGGERS', (err as Error).message, { file: 'triggers/Unincorp' });
    }
    for (const line of lines) {
      for (const awName of line.awaiters) {
        const aw = awName === '-' ? null : (this.#specPkg(awName) ?? null);
        await this.#activate(line.trigger, aw);
      }
    }
    // trigdef_process_done(): the empty Unincorp.new, fopen()ed, renamed into place.
    this.#disk.write('triggers/Unincorp', '', MODE_FOPEN);
  }

  /** trig_transitional_activate(): every configured package's interests, made pending. */
  async #transitionalActivate(): Promise<void> {
    for (const pkg of this.#allPkgs()) {
      if (rank(pkg.status) <= rank('half-installed')) continue;
      pkg.trigpend = [];
      for (const d of await this.#installedTriggers(pkg)) {
        if (d.kind !== 'interest') continue;
        await this.#interestChange(d, pkg, pkg.installed, +1);
        if (pkg.isAtLeast('triggers-awaited') && !pkg.trigpend.includes(d.name)) this.#noteTrigPend(pkg, d.name);
      }
      if (!pkg.isAtLeast('triggers-awaited')) continue;
      if (pkg.trigaw.length > 0) pkg.setStatus('triggers-awaited');
      else if (pkg.trigpend.length > 0) pkg.setStatus('triggers-pending');
      else pkg.setStatus('installed');
    }
    this.#checkpoint();
    this.#saveFileInterests();
  }

  /** trig_activate_packageprocessing(): the `activate` lines of the installed triggers file. */
  async #activatePackageProcessing(pkg: PkgInfo): Promise<void> {
    for (const d of await this.#installedTriggers(pkg)) if (d.kind === 'activate') await this.#statusChangeActivate(d, pkg);
  }

  /** trig_cicb_statuschange_activate(). */
  async #statusChangeActivate(d: TriggerDirective, pkg: PkgInfo): Promise<void> {
    await this.#activate(d.name, d.await ? pkg : null);
  }

  /** trig_activate_start() + activate_awaiter(): one activation by name. */
  async #activate(trigger: string, aw: PkgInfo | null): Promise<void> {
    switch (classifyTrigger(trigger)) {
      case 'explicit': {
        for (const interest of await this.#explicitInterests(trigger)) {
          const pend = this.#specPkg(interest.pkg);
          if (pend === undefined) continue;
          this.#recordActivation(pend, interest.await ? aw : null, trigger);
        }
        return;
      }
      case 'file':
        await this.#pathActivate(normalizeDbPath(trigger), aw);
        return;
      case 'unknown':
        return;
    }
  }

  /** trig_path_activate(): the path and each of its parent directories. */
  async #pathActivate(path: string, aw: PkgInfo | null): Promise<void> {
    await this.#fileActivate(path, aw);
    for (let p = path; ; ) {
      const slash = p.lastIndexOf('/');
      if (slash < 0) break;
      p = p.slice(0, slash);
      if (p === '') break;
      await this.#fileActivate(p, aw);
    }
  }

  /** trig_file_activate(): the interests in exactly this path, most recently added first. */
  async #fileActivate(path: string, aw: PkgInfo | null): Promise<void> {
    const interests = await this.#ensureFileInterests();
    const matching = interests.filter((i) => i.path === path).reverse();
    for (const i of matching) this.#recordActivation(i.pkg, i.await ? aw : null, path);
  }

  /** trig_record_activation(). */
  #recordActivation(pend: PkgInfo, aw: PkgInfo | null, trigger: string): void {
    if (!pend.isAtLeast('triggers-awaited')) return;
    if (this.#noteTrigPend(pend, trigger)) this.#note(pend);
    this.#enqueueDeferred(pend);
    if (aw !== null && rank(pend.status) > rank('config-files')) {
      if (this.#noteTrigAw(pend, aw)) {
        if (rank(aw.status) > rank('triggers-awaited')) aw.setStatus('triggers-awaited');
        this.#note(aw);
      }
    }
  }

  /** trig_note_pend(). */
  #noteTrigPend(pend: PkgInfo, trigger: string): boolean {
    if (pend.trigpend.includes(trigger)) return false;
    pend.trigpend.unshift(trigger);
    pend.setStatus(pend.trigaw.length > 0 ? 'triggers-awaited' : 'triggers-pending');
    return true;
  }

  /** trig_note_aw(). */
  #noteTrigAw(pend: PkgInfo, aw: PkgInfo): boolean {
    if (aw.trigaw.some((ta) => ta.pend === pend)) return false;
    const ta: TrigAw = { aw, pend };
    pend.othertrigaw.unshift(ta);
    aw.trigaw.push(ta);
    return true;
  }

  /** trig_clear_awaiters(). */
  #clearAwaiters(notpend: PkgInfo): void {
    const list = notpend.othertrigaw;
    notpend.othertrigaw = [];
    for (const ta of list) {
      const aw = ta.aw;
      if (aw === null) continue;
      aw.trigaw = aw.trigaw.filter((x) => x !== ta);
      if (aw.trigaw.length === 0 && aw.status === 'triggers-awaited') {
        aw.setStatus(aw.trigpend.length > 0 ? 'triggers-pending' : 'installed');
        this.#note(aw);
      }
    }
  }

  #enqueueDeferred(pend: PkgInfo): void {
    if (this.#runOptions.noTriggers) return;
    if (!this.#deferred.includes(pend)) this.#deferred.push(pend);
  }

  /** The installed version's `triggers` control file. */
  async #installedTriggers(pkg: PkgInfo): Promise<TriggerDirective[]> {
    const rel = `info/${this.#infoName(pkg, pkg.installed, 'triggers')}`;
    return this.#parseTriggers(await this.#disk.read(rel), rel);
  }

  #parseTriggers(data: Buffer | undefined, file: string): TriggerDirective[] {
    if (data === undefined) return [];
    try {
      return parseTriggersControl(data.toString('latin1'), file);
    } catch (err) {
      if (err instanceof TriggerFileError) throw this.#error('INSTALL_DPKGDB_TRIGGERS', err.message, { file });
      throw err;
    }
  }

  /** trig_file_interests_ensure(): `triggers/File`, read once per run. */
  async #ensureFileInterests(): Promise<FileInterestEntry[]> {
    if (this.#fileInterests !== undefined) return this.#fileInterests;
    const text = (await this.#disk.read('triggers/File'))?.toString('latin1') ?? '';
    const out: FileInterestEntry[] = [];
    let entries: FileInterest[];
    try {
      entries = parseFileInterests(text, 'triggers/File');
    } catch (err) {
      throw this.#error('INSTALL_DPKGDB_TRIGGERS', (err as Error).message, { file: 'triggers/File' });
    }
    for (const e of entries) {
      const pkg = this.#specPkg(e.pkg, true);
      if (pkg === undefined) throw this.#error('INSTALL_DPKGDB_TRIGGERS', `file triggers record mentions illegal package name '${e.pkg}'`, { file: 'triggers/File' });
      if (out.some((o) => o.path === e.path && o.pkg === pkg)) {
        throw this.#error('INSTALL_DPKGDB_TRIGGERS', `duplicate file trigger interest for filename '${e.path}' and package '${e.pkg}'`);
      }
      out.push({ path: normalizeDbPath(e.path), pkg, bin: 'installed', await: e.await });
    }
    this.#fileInterests = out;
    this.#fileInterestsEdited = false;
    return out;
  }

  #fileInterestsEdited = false;

  /** trig_cicb_interest_change(): add (+1) or remove (-1) one interest of a package. */
  async #interestChange(d: TriggerDirective, pkg: PkgInfo, bin: PkgInfo['installed'], signum: 1 | -1): Promise<void> {
    const kind = classifyTrigger(d.name);
    if (kind === 'unknown') {
      throw this.#error('INSTALL_DPKGDB_TRIGGERS', `invalid or unknown syntax in trigger name '${d.name}' (in trigger interests for package '${this.#name(pkg, bin)}')`);
    }
    if (kind === 'file') {
      const interests = await this.#ensureFileInterests();
      const path = normalizeDbPath(d.name);
      const i = interests.findIndex((x) => x.path === path && x.pkg === pkg);
      if (i >= 0) {
        if (signum > 0) {
          interests[i]!.await = d.await;
          return;
        }
        interests.splice(i, 1);
      } else {
        if (signum < 0) return;
        interests.push({ path, pkg, bin: bin === pkg.installed ? 'installed' : 'available', await: d.await });
      }
      this.#fileInterestsEdited = true;
      return;
    }
    // trk_explicit_interest_change(): rewrite triggers/NAME without this package, then append.
    const rel = `triggers/${d.name}`;
    const name = pkgBinName(pkg, bin, 'same', this.nativeArch);
    const kept = (await this.#explicitInterests(d.name)).filter((i) => this.#specPkg(i.pkg) !== pkg);
    if (signum > 0) kept.push({ pkg: name, await: d.await });
    if (kept.length === 0) this.#disk.remove(rel);
    else this.#disk.write(rel, formatExplicitInterests(kept), MODE_ATOMIC);
  }

  async #explicitInterests(trigger: string): Promise<{ pkg: string; await: boolean }[]> {
    const rel = `triggers/${trigger}`;
    const data = await this.#disk.read(rel);
    if (data === undefined) return [];
    try {
      return parseExplicitInterests(data.toString('latin1'), rel);
    } catch (err) {
      throw this.#error('INSTALL_DPKGDB_TRIGGERS', (err as Error).message, { file: rel });
    }
  }

  /** trig_file_interests_save(). */
  #saveFileInterests(): void {
    if (!this.#fileInterestsEdited || this.#fileInterests === undefined) return;
    if (this.#fileInterests.length === 0) this.#disk.remove('triggers/File');
    else {
      const text = formatFileInterests(
        this.#fileInterests.map((i) => ({ path: i.path, pkg: pkgBinName(i.pkg, i.pkg[i.bin], 'same', this.nativeArch), await: i.await })),
      );
      this.#disk.write('triggers/File', text, MODE_ATOMIC);
    }
    this.#fileInterestsEdited = false;
  }

  // ───────────────────────────── files ─────────────────────────────

  /** deb_parse_conffiles(): the new conffiles, with the hash each had before (if any). */
  async #parseNewConffiles(pkg: PkgInfo, data: Buffer | undefined, file: string): Promise<Conffile[]> {
    if (data === undefined) return [];
    const out: Conffile[] = [];
    const text = data.toString('latin1');
    const lines = text.split('\n');
    const last = lines.pop();
    if (last !== '') throw this.#error('INSTALL_DPKGDB_CONFFILES', `conffile name '${last}' is too long, or missing final newline`, { file: `${file}: conffiles` });
    for (const raw of lines) {
      if (raw === '') throw this.#error('INSTALL_DPKGDB_CONFFILES', 'conffile file contains an empty line', { file: `${file}: conffiles` });
      let line = raw.replace(/[ \t\n\v\f\r]+$/, '');
      if (line === '') continue;
      let removeOnUpgrade = false;
      if (line[0] !== '/') {
        const space = line.indexOf(' ');
        const flag = space < 0 ? line : line.slice(0, space);
        const rest = space < 0 ? '' : line.slice(space + 1);
        if (space < 0 || (rest !== '' && rest[0] !== '/')) throw this.#error('INSTALL_DPKGDB_CONFFILES', `conffile name '${rest === '' ? line : rest}' is not an absolute pathname`, { file });
        if (rest === '') throw this.#error('INSTALL_DPKGDB_CONFFILES', `conffile name missing after flag '${flag}'`, { file });
        if (flag !== 'remove-on-upgrade') throw this.#error('INSTALL_DPKGDB_CONFFILES', `unknown flag '${flag}' for conffile '${rest}'`, { file });
        removeOnUpgrade = true;
        line = rest;
      }
      const name = normalizeDbPath(line);
      out.push({ name, hash: await this.#previousConffileHash(pkg, name), obsolete: false, removeOnUpgrade });
    }
    return out;
  }

  /** The hash a conffile had in the package owning it (this one first), or `newconffile`. */
  async #previousConffileHash(pkg: PkgInfo, name: string): Promise<string> {
    let found: string | undefined;
    for (const other of this.#allPkgs()) {
      if (other.status === 'not-installed') continue;
      if (!(await this.#fileList(other)).set.has(name)) continue;
      const c = other.installed.conffiles.find((x) => x.name === name);
      if (c === undefined) continue;
      if (other === pkg) return c.hash;
      found = c.hash;
    }
    return found ?? NEW_CONFFILE;
  }

  async #fileList(pkg: PkgInfo): Promise<{ names: string[]; set: Set<string> }> {
    const cached = this.#lists.get(pkg);
    if (cached !== undefined) return cached;
    const data = await this.#disk.read(`info/${this.#infoName(pkg, pkg.installed, 'list')}`);
    const names = data === undefined ? [] : data.toString('latin1').split('\n').filter((l) => l !== '');
    const list = { names, set: new Set(names) };
    this.#lists.set(pkg, list);
    return list;
  }

  /**
   * pkg_remove_old_files(), for the trigger activations and the list of paths to delete:
   * old paths not in the new version, last first; directories still used by another
   * package and paths that no longer exist are left out.
   */
  async #removeOldFiles(pkg: PkgInfo, newNames: Set<string>, newConffiles: Conffile[]): Promise<string[]> {
    if (pkg.status === 'not-installed' || !(await this.#disk.exists(`info/${this.#infoName(pkg, pkg.installed, 'list')}`))) return [];
    const old = (await this.#fileList(pkg)).names;
    const newConff = new Set(newConffiles.map((c) => c.name));
    const out: string[] = [];
    for (const name of [...old].reverse()) {
      if (newNames.has(name) || newConff.has(name)) continue;
      const use = this.#useName(name, pkg);
      const full = join(this.root, use);
      const st = await stat(full).catch(() => undefined);
      if (st?.isDirectory()) {
        let used = false;
        for (const other of this.#allPkgs()) {
          if (other === pkg || other.status === 'not-installed') continue;
          if ((await this.#fileList(other)).set.has(name)) {
            used = true;
            break;
          }
        }
        if (used) continue;
      }
      const lst = await lstat(full).catch(() => undefined);
      if (lst === undefined) continue;
      if (pkg.installed.conffiles.some((c) => c.name === name) && !lst.isDirectory()) continue;
      await this.#pathActivate(use, pkg);
      if (use !== '/.') out.push(use);
    }
    return out;
  }

  /** pkg_infodb_update(): old info files replaced or removed, new ones installed. */
  async #infodbUpdate(pkg: PkgInfo, input: UnpackInput): Promise<void> {
    const prefix = this.#infoPrefix(pkg, pkg.available);
    const installedNow = new Set<string>();
    for (const entry of await this.#disk.list('info')) {
      if (entry.startsWith('.')) continue;
      const dot = entry.lastIndexOf('.');
      if (dot < 0 || entry.slice(0, dot) !== prefix) continue;
      const type = entry.slice(dot + 1);
      if (type === 'list') continue;
      const member = input.members.get(type);
      if (member !== undefined) {
        this.#disk.write(`info/${entry}`, (await this.#disk.read(`tmp.ci/${type}`))!, (await this.#disk.mode(`tmp.ci/${type}`))!, await this.#disk.mtime(`tmp.ci/${type}`));
        installedNow.add(type);
      } else {
        this.#disk.remove(`info/${entry}`);
      }
    }
    for (const name of input.members.keys()) {
      if (installedNow.has(name) || !isInstalledControlMember(name)) continue;
      if (name.length > 100) throw this.#error('INSTALL_DPKGDB_CONTROL', `package contains overly-long control info file name (starting '${name.slice(0, 50)}')`);
      // Moved from tmp.ci, so the mode is whatever tmp.ci has now (setexecute may have changed it).
      this.#disk.write(`info/${this.#infoName(pkg, pkg.available, name)}`, (await this.#disk.read(`tmp.ci/${name}`))!, (await this.#disk.mode(`tmp.ci/${name}`))!, await this.#disk.mtime(`tmp.ci/${name}`));
    }
    if (pkg.installed.multiarch !== pkg.available.multiarch && (pkg.installed.multiarch === 'same' || pkg.available.multiarch === 'same')) {
      const oldPrefix = this.#infoPrefix(pkg, pkg.installed);
      for (const entry of await this.#disk.list('info')) {
        const dot = entry.lastIndexOf('.');
        if (dot >= 0 && entry.slice(0, dot) === oldPrefix) this.#disk.remove(`info/${entry}`);
      }
    }
  }

  /** deferred_configure_conffile(). */
  async #configureConffile(pkg: PkgInfo, conff: Conffile, options: ConfigureOptions): Promise<void> {
    const use = this.#useName(conff.name, pkg);
    const newHash = this.#conffileHash.get(`${pkg.name}:${pkg.installed.arch ?? ''}`)?.get(conff.name) ?? (await this.#md5OfRootFile(use));
    const action = (await options.conffile?.(conff.name, newHash)) ?? 'install';
    if (action === 'missing') {
      conff.hash = EMPTY_HASH;
      return;
    }
    if (action === 'ghost') {
      // deferred_configure_ghost_conffile(): take the hash another configured instance has.
      for (const other of this.#sets.get(pkg.name) ?? []) {
        if (other === pkg || rank(other.status) <= rank('half-configured')) continue;
        const oc = other.installed.conffiles.find((c) => !c.obsolete && !c.removeOnUpgrade && c.name === conff.name);
        if (oc !== undefined) {
          conff.hash = oc.hash;
          this.#note(pkg);
          return;
        }
      }
      return;
    }
    if (action === 'install' || action === 'keep-backup') await this.#pathActivate(use, pkg);
    conff.hash = newHash;
    this.#note(pkg);
  }

  async #md5OfRootFile(name: string): Promise<string> {
    try {
      return createHash('md5').update(await readFile(join(this.root, name))).digest('hex');
    } catch (err) {
      throw this.#error('INSTALL_DPKGDB_MD5', `cannot compute the MD5 of ${name}: ${(err as Error).message}`, { path: name });
    }
  }

  // ───────────────────────────── helpers ─────────────────────────────

  #requireRun(): void {
    if (!this.#inRun) throw this.#error('INSTALL_DPKGDB_RUN', 'no run is open: call beginRun() first');
    if (this.#unpacking) throw this.#error('INSTALL_DPKGDB_RUN', 'an unpack is in progress');
  }

  #error(code: `INSTALL_${string}`, detail: string, ctx: { file?: string; package?: string; path?: string } = {}): CrossrootError {
    return new CrossrootError(code, detail, ctx);
  }
}

function formatOrder(pkgs: PkgInfo[], nativeArch: string): PkgInfo[] {
  return [...pkgs].sort((a, b) => compareByNonambigNameArch(a, b, nativeArch));
}

/** One file-trigger interest; `bin` is the pkgbin dpkg recorded it for (tfi->pkgbin). */
interface FileInterestEntry {
  path: string;
  pkg: PkgInfo;
  bin: 'installed' | 'available';
  await: boolean;
}

export type { DataEntry, DbVersion };
