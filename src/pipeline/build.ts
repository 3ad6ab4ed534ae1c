// Building a root — resolve, download, skeleton, unpack, install, clean up, write: `crossroot build`.

import { chmod, mkdtemp, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { CrossrootError } from '../errors.js';
import type { PackageRecord } from '../formats/index/packages.js';
import type { Decompressor } from '../formats/compression.js';
import { hostDecompressor } from '../host/decompress.js';
import { extendedStates } from '../install/apt-state.js';
import { cleanupRoot, passwdUid } from '../install/cleanup.js';
import { runInRoot } from '../install/chroot.js';
import type { PrivateBinfmt } from '../install/private-binfmt.js';
import { emulatorFor, type Emulator } from './emulator.js';
import { removeOnInterrupt } from '../host/interrupt.js';
import { workDirectoryPrefix } from '../host/stale.js';
import { syncFileSystem } from '../host/sync.js';
import { nearlyFull, noSpace, saysNoSpace } from '../host/no-space.js';
import { removeStaleWork } from './stale-work.js';
import { installLdSoCache } from '../install/ldconfig/index.js';
import { MMDEBSTRAP_ENVIRONMENT } from '../install/maintscript.js';
import { NativeInstaller, controlOnlyPackage } from '../install/native.js';
import { runInSandbox } from '../install/sandbox.js';
import type { Hook, HookStage } from '../install/hooks/hook-list.js';
import { runHooks, type HookContext } from '../install/hooks/run-hooks.js';
import { createSkeleton, mergedUsrDirectories } from '../install/skeleton.js';
import { linkIntoRoot, makeRootDirectory, readRootFile, removeRootFile, writeRootFile } from '../install/root-files.js';
import { TargetRoot } from '../install/target-root.js';
import { divertStartStopDaemon } from '../install/start-stop-daemon.js';
import { stagePackage, unpackAll, type StagedPackage } from '../install/unpack.js';
import { PREPARED_DIR, PreparedStore, type PreparedPackage } from '../install/prepared.js';
import pLimit from 'p-limit';
import { chooseFormat } from '../output/format.js';
import { downloadAll, type DownloadProgress } from '../repository/download.js';
import { archiveFileName, type DpkgStep } from '../resolve/order.js';
import { resolveSuite, type ResolveOptions, type Resolved } from './resolve.js';
import { givenToolsRoot, toolsRootFor, type ToolsRootChoice } from './tools-root.js';

/**
 * native: crossroot's own installer; dpkg: the host's dpkg --force-script-chrootless;
 * chroot: the reference -- the root's own dpkg run inside it (qemu-user for a foreign
 * architecture), as mmdebstrap's root mode does.
 */
export type Installer = 'native' | 'dpkg' | 'chroot';

export interface BuildOptions extends ResolveOptions {
  /** A tarball (`.tar`, `.tar.gz`, ...), a directory, or another format's file (output/format.ts). */
  target: string;
  /** mmdebstrap's `--format` (default `auto`: chosen from TARGET, as mmdebstrap chooses). */
  format?: string;
  installer: Installer;
  sourceDateEpoch: number;
  jobs: number;
  progress?: DownloadProgress;
  /** Told what is happening, a line at a time. */
  log?: (line: string) => void;
  /** What scripts, helpers and the tarball writer run from (tools-root.ts); default `auto`. */
  toolsRoot?: ToolsRootChoice;
  /** A directory target gets mmdebstrap's /dev nodes (default true; a tools root has none). */
  devices?: boolean;
  /**
   * The chroot installer's dpkg skips its fsync(2) before each rename (`--force-unsafe-io`),
   * and the finished tree is synced once instead (`sync -f`). For the tools root only: the
   * bytes are the same, but DPKG_FORCE, which scripts see, would not be mmdebstrap's.
   */
  unsafeIo?: boolean;
  /**
   * Where the work directories go (default TMPDIR): the tools root's beside its place in the
   * cache, so that publishing it is a rename even where TMPDIR is a tmpfs.
   */
  workParent?: string;
  /** For the chroot installer: the qemu-user that runs the root's binaries (default: emulatorFor's choice). */
  emulator?: Emulator;
  /** mmdebstrap's hooks, in order (install/hooks/hook-list.ts). */
  hooks?: readonly Hook[];
  /** WARNING: run hooks on the host, not in the sandbox (`--hooks-outside-sandbox`). */
  hooksOutsideSandbox?: boolean;
  /** What hooks print, as it comes. */
  hookOutput?: (chunk: Buffer) => void;
}

/** The environment mmdebstrap gives dpkg and every maintainer script (notes §6). */
export function buildEnvironment(sourceDateEpoch: number): Record<string, string> {
  return { ...MMDEBSTRAP_ENVIRONMENT, SOURCE_DATE_EPOCH: String(sourceDateEpoch) };
}

/** The sources.list mmdebstrap writes for the given mirror arguments (or the default entries). */
export function sourcesListText(r: Resolved, mirrors: string[]): string {
  if (mirrors.length === 0) return r.sources.map((s) => `deb ${s.uri} ${s.suite} ${s.components.join(' ')}\n`).join('');
  // One entry per argument, "ARG\n", consecutive one-line entries joined by "\n" (mmdebstrap 5322-5429).
  return mirrors
    .map((m) => (/^deb(-src)?\s/.test(m.trim()) ? `${m}\n` : `deb ${m.startsWith('/') ? `file://${m}` : m} ${r.lock.suite} ${(r.sources[0]?.components ?? ['main']).join(' ')}\n`))
    .join('\n');
}

/** The control text of mmdebstrap's merged-usr setup hook's dummy package (setup00.sh). */
export const DUMMY_USR_IS_MERGED = `Package: usr-is-merged
Priority: optional
Section: oldlibs
Maintainer: Johannes Schauer Marin Rodrigues <josch@debian.org>
Architecture: all
Multi-Arch: foreign
Source: mmdebstrap-dummy-usr-is-merged
Version: 1
Description: dummy package created by mmdebstrap merged-usr setup hook
 This package was generated and installed by the mmdebstrap merged-usr
 setup hook at /usr/share/mmdebstrap/hooks/merged-usr.
 .
 If this package is installed in the final chroot, then this is a bug
 in mmdebstrap. Please report: https://gitlab.mister-muffin.de/josch/mmdebstrap
`;

/** A private directory under TMPDIR, removed by `remove()` or when crossroot is interrupted. */
export interface WorkDirectory {
  path: string;
  remove(): Promise<void>;
}

/** A new private directory under TMPDIR (where the root is built, as mmdebstrap's). */
export async function workDirectory(kind: string, parent?: string): Promise<WorkDirectory> {
  let path: string;
  try {
    path = await mkdtemp(workDirectoryPrefix(kind, parent));
  } catch (err) {
    const where = parent ?? `${tmpdir()} (TMPDIR)`;
    throw new CrossrootError('HOST_TMPDIR', `cannot make a work directory in ${where}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const forget = removeOnInterrupt(path);
  return {
    path,
    async remove() {
      await rm(path, { recursive: true, force: true });
      forget();
    },
  };
}

/**
 * Adds apt's auto-installed marks of one apt run to the root's extended_states (creating
 * it). Packages have been unpacked by then: the file is read and replaced through the root
 * guard, and a symlink there (to a host file, say) is refused, not followed.
 */
async function appendExtendedStates(root: TargetRoot, auto: string[], arch: string): Promise<void> {
  const file = 'var/lib/apt/extended_states';
  const old = (await readRootFile(root, file)) ?? '';
  await writeRootFile(root, file, old + extendedStates(auto, arch), 0o644);
}

/**
 * Runs dpkg with `args` for the installer: the host's dpkg chrootless inside the sandbox
 * (everything read-only but the root), or the root's own dpkg inside it. `args` name .deb
 * files by their path inside the root.
 */
async function runDpkg(
  installer: Installer,
  root: string,
  args: string[],
  env: Record<string, string>,
  what: string,
  toolsRoot: string,
  chroot: { binfmt?: PrivateBinfmt; unsafeIo?: boolean } = {},
): Promise<void> {
  const r =
    installer === 'chroot'
      ? await runInRoot(root, ['dpkg', ...(chroot.unsafeIo === true ? ['--force-unsafe-io'] : []), ...args], env, chroot.binfmt)
      : await runInSandbox(
          ['dpkg', '--force-not-root', '--force-script-chrootless', `--root=${root}`, `--log=${root}/var/log/dpkg.log`, ...args.map((a) => (a.startsWith('/') ? `${root}/${a}` : a))],
          { toolsRoot, writable: [root], cwd: root, env },
        );
  if (r.exitCode !== 0) {
    const tail = r.stderr.trim().split('\n').slice(-15).join('\n');
    throw new CrossrootError('INSTALL_DPKG_FAILED', `${what} failed (dpkg exit ${r.exitCode})\n${tail}`);
  }
}

/** The dpkg arguments of one of apt's dpkg calls (apt's dpkgpm.cc: --no-triggers but for --configure --pending). */
function aptStepArguments(step: DpkgStep, debOf: (name: string) => string): string[] {
  // Inside the root, .deb files are where apt keeps them: /var/cache/apt/archives.
  if (step.action === 'unpack') return ['--no-triggers', '--unpack', '--auto-deconfigure', '--force-depends', ...step.packages.map(debOf)];
  if (step.action === 'configure') return ['--no-triggers', '--configure', '--force-depends', ...step.arguments];
  return ['--configure', '--pending', '--force-depends'];
}

/**
 * A failure for want of disk space, named by the file system that filled (the root is still
 * there, so TMPDIR's is still full); any other error as it is.
 */
async function whenNoSpace(err: unknown, target: string): Promise<unknown> {
  if ((err instanceof CrossrootError && err.code === 'HOST_NO_SPACE') || !saysNoSpace(err)) return err;
  if (await nearlyFull(tmpdir())) return noSpace(tmpdir(), 'building the root (TMPDIR)', 'nothing was written at the target: set TMPDIR to a larger file system, or free space there', err);
  if (await nearlyFull(dirname(resolve(target)))) return noSpace(dirname(resolve(target)), `writing ${target}`, 'nothing was written at the target: free space, or write the root elsewhere', err);
  return noSpace(`${tmpdir()} (TMPDIR) or of ${dirname(resolve(target))}`, 'building the root', 'nothing was written at the target', err);
}

/**
 * Downloads the packages of `resolved` (size and SHA256 checked) and, for the native installer,
 * prepares them (decompressed once, kept in the cache): the .deb paths in `resolved.ordered`'s
 * order and the prepared packages by name.
 */
async function fetchAndPrepare(
  opts: BuildOptions,
  resolved: Resolved,
  log: (line: string) => void,
): Promise<{ paths: string[]; preparedOf: Map<string, PreparedPackage>; decompressor: Decompressor }> {
  const items = resolved.ordered.map((p) => ({ ...p, origins: [p.origin!] }));
  log(`downloading ${items.length} packages`);
  const paths = await downloadAll(items, opts.cache, { jobs: opts.jobs, progress: opts.progress, fetch: opts.fetch, log });
  const decompressor = hostDecompressor();
  const preparedOf = new Map<string, PreparedPackage>();
  if (opts.installer === 'native') {
    log(`preparing ${resolved.ordered.length} packages`);
    const store = new PreparedStore(join(opts.cache.dir, PREPARED_DIR));
    const limit = pLimit(Math.max(1, opts.jobs));
    await Promise.all(
      resolved.ordered.map((r, i) =>
        limit(async () => preparedOf.set(r.package, await store.prepare(paths[i]!, r.sha256, { decompressor, file: archiveFileName(r), log }))),
      ),
    );
  }
  return { paths, preparedOf, decompressor };
}

/**
 * Builds a root and writes it to `opts.target`. Nothing is written at the target until the
 * root is complete; a failure leaves no target (and an existing one untouched). `given` is
 * a resolution made before (verify builds twice from one).
 *
 * @example
 * await buildRoot({ suite: 'bookworm', arch: 'arm64', variant: 'essential', target: 'out.tar', installer: 'native', ... });
 */
export async function buildRoot(opts: BuildOptions, given?: Resolved): Promise<Resolved> {
  const log = opts.log ?? (() => {});
  // Before anything is downloaded: an unknown --format or a tarball crossroot cannot write is a usage error.
  const format = await chooseFormat(opts.target, opts.format);
  await removeStaleWork({ cacheDir: opts.cache.dir, target: opts.target, log });
  const resolved = given ?? (await resolveSuite(opts));
  // A tools root that has to be made first (once, cached) is mostly its dpkg on one core: this
  // build's packages download and decode meanwhile. `--tools-root host|DIR` is checked now.
  const namedTools = givenToolsRoot(opts);
  const toolsRootReady = namedTools !== undefined ? Promise.resolve(namedTools) : toolsRootFor(opts, buildRoot, resolved);
  let toolsRootDone = false;
  toolsRootReady.then(
    () => (toolsRootDone = true),
    () => undefined, // awaited below, whichever side fails first
  );
  const { paths, preparedOf, decompressor } = await fetchAndPrepare(opts, resolved, log).catch(async (err: unknown) => {
    await toolsRootReady.catch(() => undefined); // nothing left running behind the error
    throw err;
  });
  if (!toolsRootDone) log('waiting for the tools root');
  const toolsRoot = await toolsRootReady;
  const debOf = new Map<string, string>(resolved.ordered.map((p, i) => [p.package, paths[i]!]));
  const deb = (name: string) => {
    const d = debOf.get(name.replace(/:[^:]*$/, ''));
    if (d === undefined) throw new CrossrootError('RESOLVE_ORDER', `the install plan names ${name}, which was not downloaded`, { package: name });
    return d;
  };

  const prepared = (name: string) => preparedOf.get(name.replace(/:[^:]*$/, ''));

  const recordOf = new Map(resolved.ordered.map((r) => [r.package, r]));
  const rootDirectory = await workDirectory('root', opts.workParent);
  const root = rootDirectory.path;
  // Every write crossroot itself makes into the root goes through the guard.
  const guard = new TargetRoot(root);
  // Beside the root, so that staged files are renamed into it within one file system.
  const stagingDirectory = await workDirectory('staging', opts.workParent);
  const staging = { dir: stagingDirectory.path, chain: Promise.resolve() as Promise<void>, stopped: false };
  const stagedOf = new Map<string, Promise<StagedPackage>>();
  let native: NativeInstaller | undefined;
  try {
    await chmod(root, 0o755);
    await createSkeleton(root, { architectures: [opts.arch], sourcesList: sourcesListText(resolved, opts.mirrors), fstab: resolved.layout.fstab });
    const mergedUsr = resolved.plan.mergedUsr !== undefined;
    if (mergedUsr) {
      for (const d of mergedUsrDirectories(opts.arch)) {
        await makeRootDirectory(guard, `usr/${d}`);
        await symlink(`usr/${d}`, guard.hostPath(d)); // the root's own top level: no parent to follow
      }
    }
    const env = buildEnvironment(opts.sourceDateEpoch);
    native = opts.installer === 'native' ? await NativeInstaller.open({ root, arch: opts.arch, sourceDateEpoch: opts.sourceDateEpoch, decompressor, env, toolsRoot }) : undefined;
    const binfmt = opts.installer === 'chroot' ? (opts.emulator ?? (await emulatorFor(opts, log))).binfmt : undefined;
    // The packages where apt leaves them for dpkg (hard links into the cache where possible);
    // apt-get clean at the end removes them, as in mmdebstrap.
    await makeRootDirectory(guard, 'var/cache/apt/archives');
    const inRoot = new Map<string, string>();
    for (const r of resolved.ordered) {
      const name = archiveFileName(r);
      await linkIntoRoot(guard, deb(r.package), `var/cache/apt/archives/${name}`);
      inRoot.set(r.package, `/var/cache/apt/archives/${name}`);
    }
    const debInRoot = (name: string) => inRoot.get(name.replace(/:[^:]*$/, ''))!;
    if (mergedUsr && native !== undefined) {
      // The hook's dummy usr-is-merged, as dpkg-deb --build would make it.
      await native.run({ action: 'install' }, [controlOnlyPackage(DUMMY_USR_IS_MERGED, opts.sourceDateEpoch, 'usr-is-merged.deb (the merged-usr hook\'s dummy)')]);
    } else if (mergedUsr) {
      // The hook's dummy usr-is-merged, built and installed with the host's dpkg as the hook does.
      await writeRootFile(guard, 'tmp/crossroot-usr-is-merged/usr-is-merged/DEBIAN/control', DUMMY_USR_IS_MERGED, 0o644);
      const dir = await makeRootDirectory(guard, 'tmp/crossroot-usr-is-merged');
      const r = await runInSandbox(['dpkg-deb', '--build', join(dir, 'usr-is-merged'), join(dir, 'usr-is-merged.deb')], { toolsRoot, writable: [root], cwd: root, env });
      if (r.exitCode !== 0) throw new CrossrootError('INSTALL_DPKG_FAILED', `building the dummy usr-is-merged failed: ${r.stderr.trim()}`);
      const argv = ['dpkg', `--root=${root}`, `--log=${root}/var/log/dpkg.log`, '--install', join(dir, 'usr-is-merged.deb')];
      const i = await runInSandbox(argv, { toolsRoot, writable: [root], cwd: root, env });
      if (i.exitCode !== 0) throw new CrossrootError('INSTALL_DPKG_FAILED', `installing the dummy usr-is-merged failed: ${i.stderr.trim()}`);
      await rm(dir, { recursive: true, force: true });
    }
    const hookContext: HookContext = {
      root,
      mode: opts.installer === 'chroot' ? 'root' : 'chrootless',
      env,
      include: opts.include,
      essential: resolved.plan.stage1.records.map((r) => debInRoot(r.package)),
      suite: opts.suite,
      arch: opts.arch,
      variant: opts.variant,
      scratch: staging.dir,
      outsideSandbox: opts.hooksOutsideSandbox,
      output: opts.hookOutput,
    };
    const hooks = async (stage: HookStage) => {
      if (!(opts.hooks ?? []).some((h) => h.stage === stage)) return;
      log(`running the ${stage} hooks`);
      await runHooks(stage, opts.hooks!, hookContext);
    };
    await hooks('setup');
    const stage1 = resolved.plan.stage1.records.map((r: PackageRecord) => prepared(r.package) ?? deb(r.package));
    log(`unpacking ${stage1.length} packages`);
    const names = resolved.plan.stage1.records.map((r) => archiveFileName(r));
    const unpacked = await unpackAll(stage1, guard, { decompressor, jobs: opts.jobs, names });
    // The apt runs' packages have their files written ahead, one package after another,
    // while the essential set's scripts run (they leave a core idle): unpacking them is
    // then renames. Not before: the pre-extraction above is on the critical path.
    if (native !== undefined) {
      for (const run of [resolved.plan.mergedUsr, resolved.plan.stage2]) {
        for (const step of run?.steps ?? []) {
          if (step.action !== 'unpack') continue;
          for (const n of step.packages) {
            const p = prepared(n);
            if (p === undefined) continue;
            const file = archiveFileName(recordOf.get(n.replace(/:[^:]*$/, ''))!);
            const staged = staging.chain.then(() => (staging.stopped ? Promise.reject(new Error('staging stopped')) : stagePackage(p, staging.dir, { decompressor, file })));
            staged.catch(() => undefined); // awaited (and reported) where the package is unpacked
            stagedOf.set(n, staged);
            staging.chain = staged.then(
              () => undefined,
              () => undefined,
            );
          }
        }
      }
    }
    // mmdebstrap's policy-rc.d (no service starts while building), removed at the end.
    await writeRootFile(guard, 'usr/sbin/policy-rc.d', '#!/bin/sh\nexit 101\n', 0o755);
    // sid's mmdebstrap diverts start-stop-daemon with the suite's dpkg-divert (its files stay).
    const undoSsd = resolved.layout.ssdDiversions
      ? await divertStartStopDaemon(guard, (args) => runInSandbox(['dpkg-divert', '--root', root, ...args], { toolsRoot, writable: [root], cwd: root, env }))
      : undefined;
    await hooks('extract');
    log('installing the essential set (dpkg --install)');
    if (native !== undefined) {
      await native.run({ action: 'install', forceDepends: true }, unpacked.map((u) => ({ deb: u.deb, unpacked: u })));
    } else {
      await runDpkg(opts.installer, root, ['--install', '--force-depends', ...resolved.plan.stage1.records.map((r) => debInRoot(r.package))], env, 'dpkg --install of the essential set', toolsRoot, { binfmt, unsafeIo: opts.unsafeIo });
    }
    // The apt runs: the merged-usr hook's, then the second one. Each leaves extended_states.
    // The user's essential hooks run between them (after the merged-usr essential hook's).
    const manual = new Set(resolved.seeds.map((s) => s.relation.name));
    if (resolved.plan.mergedUsr === undefined) await hooks('essential');
    for (const run of [resolved.plan.mergedUsr, resolved.plan.stage2]) {
      if (run === resolved.plan.stage2 && resolved.plan.mergedUsr !== undefined) await hooks('essential');
      if (run === undefined || run.steps.length === 0) continue;
      log(`apt's run: ${run.steps.map((s) => `${s.action} ${s.packages.length}`).join(', ')}`);
      for (const step of run.steps) {
        if (native !== undefined) {
          if (step.action === 'unpack') await native.run({ action: 'unpack', noTriggers: true }, step.packages.map((n) => ({ deb: deb(n), prepared: prepared(n), staged: stagedOf.get(n), label: debInRoot(n).split('/').pop() })), { frontendLocked: true });
          else if (step.action === 'configure') await native.run({ action: 'configure', packages: step.arguments, noTriggers: true }, [], { frontendLocked: true });
          else await native.run({ action: 'configure', packages: 'pending' }, [], { frontendLocked: true });
        } else {
          await runDpkg(opts.installer, root, aptStepArguments(step, debInRoot), { ...env, DPKG_FRONTEND_LOCKED: 'true' }, `dpkg ${step.action} (${step.packages.slice(0, 3).join(' ')}...)`, toolsRoot, { binfmt, unsafeIo: opts.unsafeIo });
        }
      }
      await appendExtendedStates(guard, run.unpack.filter((n) => !manual.has(n)), opts.arch);
    }
    // The host's ldconfig cannot read another architecture's libraries (it leaves an empty
    // cache): write the cache the target's own ldconfig would, from the tree apt left (before
    // the customize hooks, which find the cache as mmdebstrap's find it).
    if (opts.installer !== 'chroot' && (await stat(join(root, 'etc/ld.so.cache')).catch(() => undefined)) !== undefined) {
      log('writing etc/ld.so.cache');
      await installLdSoCache(root, opts.arch);
    }
    // mmdebstrap runs them with policy-rc.d and the start-stop-daemon diversion in place.
    await hooks('customize');
    await undoSsd?.();
    await removeRootFile(guard, 'usr/sbin/policy-rc.d');
    log('cleaning up');
    // apt's _apt is the tools' apt's (mmdebstrap's apt runs outside the root, as its host's).
    await cleanupRoot(root, { aptSandboxUid: (await passwdUid(join(toolsRoot, 'etc/passwd'), '_apt')) ?? 0 });
    log(`writing ${opts.target} (${format.kind})`);
    // dpkg did not sync what it wrote (unsafeIo): the tree is, once, before it takes its final name.
    if (opts.unsafeIo === true && format.kind === 'directory') await syncFileSystem(root);
    await format.write(root, opts.target, {
      sourceDateEpoch: opts.sourceDateEpoch,
      toolsRoot,
      devHeaders: resolved.layout.devHeaders,
      tarStyle: resolved.layout.tar,
      devices: opts.devices,
    });
  } catch (err) {
    throw await whenNoSpace(err, opts.target);
  } finally {
    await native?.close();
    staging.stopped = true;
    await staging.chain;
    log('removing the work directories');
    await stagingDirectory.remove();
    await rootDirectory.remove();
  }
  log('done');
  return resolved;
}

