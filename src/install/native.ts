// The native installer — dpkg's work done by crossroot: database, maintainer scripts, triggers, in dpkg's order.
//
// One call per dpkg invocation of the reference build (mmdebstrap root mode): the merged-usr
// hook's `dpkg --install` of its dummy package, stage 1's `dpkg --install --force-depends`
// of the essential set, and each dpkg call of apt's runs (the hook's, the second one). For
// each: the planner (configure-plan.ts, dpkg's process_queue) gives the events, the database
// model (dpkg-db/) makes dpkg's status changes and runs the scripts where dpkg runs them,
// chrootless and sandboxed (maintscript.ts), with patched scripts where patches/ has them.

import { createHash } from 'node:crypto';
import { createReadStream, utimesSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { posix } from 'node:path';
import { CrossrootError } from '../errors.js';
import type { Decompressor } from '../formats/compression.js';
import { readDeb } from '../formats/deb/read.js';
import { parseSingleParagraph } from '../formats/deb822/parse.js';
import type { TarEntry } from '../formats/tar/entry.js';
import { emptyDatabase, planDpkgRun, STATUS_RELATION_FIELDS, type DpkgAction, type DpkgDatabase as PlanState, type PlanPackage, type RelationField } from './configure-plan.js';
import { DpkgDatabase, type MaintScriptCall } from './dpkg-db/database.js';
import type { DataEntry } from './dpkg-db/info-db.js';
import { runMaintainerScript } from './maintscript.js';
import { sandboxDirectory } from './sandbox.js';
import { SandboxSession } from './sandbox-session.js';
import { scriptToExecute } from './patches.js';
import { TargetRoot } from './target-root.js';
import { readPreparedIndex, type PreparedPackage } from './prepared.js';
import { unpackAll, type StagedPackage, type UnpackedPackage } from './unpack.js';

/** A package the installer may be asked to unpack: its .deb and, for stage 1, what pre-extraction left. */
export interface NativePackage {
  deb: string;
  /** The name to show in messages (the archive's file name), when `deb` is a cache path. */
  label?: string;
  /** The package's prepared form: read instead of `deb` (no decompression of xz). */
  prepared?: PreparedPackage;
  /** Its files written ahead (stagePackage): unpacking renames them in. */
  staged?: Promise<StagedPackage>;
  unpacked?: UnpackedPackage;
}

export interface NativeInstallerOptions {
  root: string;
  arch: string;
  sourceDateEpoch: number;
  decompressor: Decompressor;
  /** The environment mmdebstrap gives scripts beyond dpkg's own variables. */
  env: Record<string, string>;
  /** The tree scripts see as `/` (read-only); default `/`, the host. */
  toolsRoot?: string;
}

/**
 * The package `dpkg-deb --build` makes of a directory holding only DEBIAN/control (the
 * merged-usr hook's dummy usr-is-merged), without building it: data.tar has just `./`, and
 * both members get the mtime dpkg-deb clamps to (SOURCE_DATE_EPOCH), owner root, and the
 * modes of a directory and a file made under umask 022.
 *
 * @example
 * await installer.run({ action: 'install' }, [controlOnlyPackage(DUMMY_USR_IS_MERGED, 1700000000, 'usr-is-merged (dummy)')]);
 */
export function controlOnlyPackage(control: string, mtime: number, label: string): NativePackage {
  const data = Buffer.from(control);
  const entry: TarEntry = { path: './', type: 'dir', mode: 0o755, uid: 0, gid: 0, uname: 'root', gname: 'root', size: 0, mtime };
  const unpacked: UnpackedPackage = {
    deb: label,
    control: {
      control: parseSingleParagraph(control, { file: label }),
      members: new Map([['control', { name: 'control', mode: 0o644, mtime, data }]]),
      compression: { control: 'xz', data: 'xz' },
      memberNames: { control: 'control.tar.xz', data: 'data.tar.xz' },
    },
    entries: [entry],
    md5: new Map(),
    fileParents: new Set(),
    createdParents: new Set(),
  };
  return { deb: label, label, unpacked };
}

function planPackage(u: UnpackedPackage): PlanPackage {
  const c = u.control.control;
  const relations: [RelationField, string][] = [];
  for (const f of c.fields()) {
    const field = STATUS_RELATION_FIELDS.find((r) => r.toLowerCase() === f.name.toLowerCase());
    if (field !== undefined) relations.push([field, f.value]);
  }
  const conffiles = u.control.members.get('conffiles')?.data.toString('utf8').split('\n').map((l) => l.trim()).filter(Boolean).map((l) => l.split(/\s+/).pop()!);
  return {
    name: c.get('Package')!,
    version: c.get('Version')!,
    architecture: c.get('Architecture')!,
    multiArch: c.get('Multi-Arch'),
    relations,
    hasPostinst: u.control.members.has('postinst'),
    triggers: u.control.members.get('triggers')?.data.toString('utf8'),
    conffiles,
    files: u.entries.map((e) => (posix.normalize(`/${e.path}`).replace(/\/$/, '') || '/.').replace(/^\/\.?$/, '/.')),
  };
}

function dataEntries(u: UnpackedPackage): DataEntry[] {
  return u.entries.map((e) => ({ path: e.path, type: e.type, linkname: e.type === 'hardlink' ? e.linkname : undefined, md5: u.md5.get(e.path) }));
}

/**
 * dpkg for one root, driven call by call.
 *
 * @example
 * const n = await NativeInstaller.open({ root, arch: 'arm64', sourceDateEpoch, decompressor, env });
 * await n.run({ action: 'install', forceDepends: true }, stage1Packages);
 */
export class NativeInstaller {
  readonly #opts: NativeInstallerOptions;
  readonly #db: DpkgDatabase;
  readonly #root: TargetRoot;
  #state: PlanState;
  readonly #versions = new Map<string, string>();
  /** One sandbox for all of this root's scripts (close() ends it). */
  readonly #session: SandboxSession;

  private constructor(opts: NativeInstallerOptions, db: DpkgDatabase) {
    this.#opts = opts;
    this.#db = db;
    this.#root = new TargetRoot(opts.root);
    this.#state = emptyDatabase(opts.arch);
    this.#session = new SandboxSession({ writable: [sandboxDirectory(opts.root, 'the target root')], toolsRoot: opts.toolsRoot });
  }

  /** Ends the scripts' sandbox; call it when done with the root (before removing it). */
  async close(): Promise<void> {
    await this.#session.close();
  }

  static async open(opts: NativeInstallerOptions): Promise<NativeInstaller> {
    return new NativeInstaller(opts, await DpkgDatabase.open(opts.root, { nativeArch: opts.arch }));
  }

  async #runScript(call: MaintScriptCall): Promise<void> {
    const version = this.#versions.get(call.package) ?? '';
    const scriptPath = await scriptToExecute(this.#opts.root, call.package, version, call.script, call.path);
    await runMaintainerScript({
      root: this.#opts.root,
      package: call.package,
      arch: call.arch,
      multiArchSame: call.multiArchSame,
      script: call.script,
      args: call.args,
      scriptPath,
      sourceDateEpoch: this.#opts.sourceDateEpoch,
      extraEnv: this.#opts.env,
      from: call.from,
      refcount: call.refcount,
      session: this.#session,
      toolsRoot: this.#opts.toolsRoot,
    });
  }

  /** dpkg renames files into these directories (and makes new entries in some): their mtime is the build's. */
  async #touch(dirs: Iterable<string>): Promise<void> {
    for (const d of dirs) utimesSync(d, this.#opts.sourceDateEpoch, this.#opts.sourceDateEpoch);
  }

  /**
   * One dpkg invocation. `packages` are the archives of an install/unpack action, in command
   * line order; a configure action names packages (or 'pending') in the action itself.
   */
  async run(
    action: { action: 'install'; forceDepends?: boolean; noTriggers?: boolean } | { action: 'unpack'; noTriggers?: boolean } | { action: 'configure'; packages: 'pending' | string[]; forceDepends?: boolean; noTriggers?: boolean },
    packages: NativePackage[] = [],
    run: { frontendLocked?: boolean } = {},
  ): Promise<void> {
    // Archives not pre-extracted are read for their control data first (extracted later, after preinst).
    const prepared = new Map<string, { source: string | PreparedPackage; staged?: Promise<StagedPackage>; label: string; unpacked?: UnpackedPackage; plan: PlanPackage; members: UnpackedPackage['control']['members'] }>();
    const planArchives: PlanPackage[] = [];
    for (const p of packages) {
      const u = p.unpacked ?? (await this.#readOnly(p.prepared ?? p.deb, p.label ?? p.deb));
      const plan = planPackage(u);
      this.#versions.set(plan.name, plan.version);
      prepared.set(plan.name, { source: p.prepared ?? p.deb, staged: p.staged, label: p.label ?? p.deb, unpacked: p.unpacked, plan, members: u.control.members });
      planArchives.push(plan);
    }
    const dpkgAction: DpkgAction =
      action.action === 'configure' ? { ...action, packages: action.packages } : { ...action, archives: planArchives };
    // The planner models fresh installs; an upgrade (the merged-usr hook replacing its dummy
    // usr-is-merged) is planned as the fresh unpack it is for ordering purposes, while the
    // database model makes dpkg's upgrade sequence (prerm/preinst upgrade, Config-Version).
    const upgraded = new Set(planArchives.map((a) => a.name));
    const before = action.action === 'configure' ? this.#state : { ...this.#state, packages: this.#state.packages.filter((p) => !upgraded.has(p.name)) };
    const plan = planDpkgRun(before, dpkgAction);
    await this.#db.beginRun({ noTriggers: action.noTriggers, frontendLocked: run.frontendLocked });
    const runScript = (call: MaintScriptCall) => this.#runScript(call);
    for (const e of plan.events) {
      const ref = e.architecture === 'all' || e.architecture === this.#opts.arch ? e.package : `${e.package}:${e.architecture}`;
      if (e.kind === 'unpack') {
        const p = prepared.get(e.package);
        if (p === undefined) throw new CrossrootError('INSTALL_PLAN', `the plan unpacks ${e.package}, which is not among the archives`, { package: e.package });
        await this.#db.unpack(
          { members: p.members, file: p.label },
          {
            runScript,
            extract: async () => {
              let u = p.unpacked;
              if (u === undefined) {
                [u] = await unpackAll([p.staged === undefined ? p.source : await p.staged], this.#root, { decompressor: this.#opts.decompressor, jobs: 1, semantics: 'dpkg', names: [p.label] });
                await this.#touch(u!.createdParents);
              }
              await this.#touch(u!.fileParents);
              return dataEntries(u!);
            },
          },
        );
      } else if (e.kind === 'configure') {
        await this.#db.configure(ref, { runScript, conffile: (path, hash) => this.#conffile(path, hash) });
      } else if (e.kind === 'trigger') {
        await this.#db.processTriggers(ref, { runScript });
      } else {
        throw new CrossrootError('INSTALL_DPKG_ERROR', `dpkg would fail here: ${e.message}`, { package: e.package });
      }
    }
    await this.#db.endRun();
    this.#state = plan.database;
  }

  /** A conffile already on disk with the new content (pre-extraction) is kept, as dpkg finds it. */
  async #conffile(path: string, newHash: string): Promise<'keep' | 'install'> {
    const { path: host } = await this.#root.place(`.${path}`, {});
    const data = await readFile(host).catch(() => undefined);
    return data !== undefined && createHash('md5').update(data).digest('hex') === newHash ? 'keep' : 'install';
  }

  /** Control data and member list of a package without writing anything (for planning). */
  async #readOnly(deb: string | PreparedPackage, label: string): Promise<UnpackedPackage> {
    if (typeof deb !== 'string') {
      const { control, entries, md5 } = await readPreparedIndex(deb, label);
      return { deb: deb.index, control, entries, md5, fileParents: new Set(), createdParents: new Set() };
    }
    const entries: UnpackedPackage['entries'] = [];
    const control = await readDeb(createReadStream(deb), {
      file: label,
      decompressor: this.#opts.decompressor,
      onData: ({ entry }) => {
        entries.push(entry);
      },
    });
    return { deb, control, entries, md5: new Map(), fileParents: new Set(), createdParents: new Set() };
  }
}
