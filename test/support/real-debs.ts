// Real Debian packages for integration tests: the exact set mmdebstrap(1) installs, fetched from the host's apt mirror.
//
// Which set: mmdebstrap is the oracle. We run
//   mmdebstrap --variant=V --arch=A --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr SUITE
// and keep the .debs it downloaded (they are the archive's own files, verified by apt).
//
// Which mirror: mmdebstrap given a SUITE and no MIRROR does NOT read the host's apt
// sources (nor /etc/apt/apt.conf.d: it writes its own APT_CONFIG and only borrows the
// host's Dir::Etc::Trusted{,Parts}). Instead `get_sourceslist_by_suite` in
// /usr/bin/mmdebstrap hard-codes Debian's public archive and, for a stable release name
// such as bookworm, adds the updates and security suites:
//   deb <debian archive>  SUITE main
//   deb <debian archive>  SUITE-updates main
//   deb <security archive> SUITE-security main
// (components from --components, default `main`). We reproduce exactly those three lines
// but take the two archive URIs from the host's apt configuration (`apt-get
// indextargets`, i.e. apt's own parse of sources.list{,.d}), so tests use whatever
// mirror or proxy the host is configured for and no host name is written here.
// Package *selection* is narrowed to SUITE (`?narrow(?codename(^SUITE$),...)`), but the
// version installed is apt's candidate over all three suites: e.g. bookworm's perl-base
// comes from bookworm-security.
//
// How, cheaply (timings for amd64 buildd on a 2-core host, fast mirror):
// - a real run: root mode ~43 s, and qemu for a foreign arch (arm64 buildd ~165 s);
//   chrootless ~31 s, but chrootless fails for arm64 buildd (DESIGN.md);
// - `--simulate`/`--dry-run`: no use, hooks do not run, so without the merged-usr
//   hook apt picks usrmerge (and perl) and the buildd stage is resolved against an
//   empty status instead of the installed essential set;
// - what we do: run mmdebstrap for real in chrootless mode with stand-in `dpkg` and
//   `dpkg-deb` (dpkg-record-only.sh) first on PATH and as apt's Dir::Bin::dpkg. The
//   stand-in records each package in the status database without unpacking it or
//   running its scripts, and hands mmdebstrap's pre-extraction an empty tar. apt
//   resolves every later stage (the merged-usr essential hook, buildd's
//   `build-essential` + `?priority(required)`) against the status a real install
//   would leave, so the set is the same -- checked against full root-mode runs for
//   amd64 essential/apt/buildd and arm64 essential/buildd -- no foreign binary runs,
//   and the time left is apt-get update plus the downloads (~15-20 s).
//   `--format=null` skips the tarball; a customize hook `sync-out`s
//   /var/cache/apt/archives, kept whole by `--skip=essential/unlink`.
//
// The stand-in also logs every dpkg install/unpack/configure call it gets (see
// dpkg-record-only.sh), saved as `dpkg-calls.json` beside the debs: mmdebstrap's one
// stage-1 `dpkg --install --force-depends` with the debs in apt's Pre-Install-Pkgs
// order, the merged-usr hooks' calls, and the dpkg calls apt makes for the later stages.
// That is the oracle for install order (test/resolve/order.test.ts). A cache directory
// made before the log existed lacks the file and is regenerated (same debs: the file is
// added; different debs, i.e. the mirror moved on: the directory is replaced).
import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, open, readdir, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, runBuffer } from './cli.js';

export type RealDebsVariant = 'essential' | 'buildd' | 'apt';

export interface RealDebsOptions {
  suite: 'bookworm';
  /** Debian architecture name, e.g. `amd64`, `arm64`. */
  arch: string;
  variant: RealDebsVariant;
  /** mmdebstrap `--include` packages (installed by a second apt call); default none. */
  include?: readonly string[];
  /** Run with the merged-usr hooks (the default); `false`: without, so apt picks usrmerge. */
  mergedUsr?: boolean;
  /** Leave out SUITE-security (for a mirror whose security index is inconsistent). */
  withoutSecurity?: boolean;
}

export interface RealDebs {
  /** The cache directory holding the .debs (and the `complete` marker). */
  dir: string;
  /** Absolute paths of the .deb files, sorted. */
  debs: string[];
  /** The dpkg calls of the run, in order (see {@link DpkgCall}). */
  calls: DpkgCall[];
}

/** One call of dpkg that changes the package database, as the stand-in dpkg received it. */
export interface DpkgCall {
  /**
   * The arguments exactly as given, except that the target root directory reads `$ROOT`
   * and the random part of temporary directory names is masked (apt's `--recursive`
   * directory reads `$ROOT/tmp/apt-dpkg-install-XXXXXX`).
   */
  args: string[];
  action: 'install' | 'unpack' | 'configure' | 'triggers-only';
  /** `--configure --pending` / `--triggers-only --pending`. */
  pending: boolean;
  /** --install/--unpack: the .deb file names in the order dpkg takes them (for `--recursive`, the directory's sorted numbered links). */
  debs: string[];
  /** --install/--unpack: each deb's Package field, in that order; --configure: the package arguments as given (`libc6:amd64`). */
  packages: string[];
}

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CACHE_ROOT = join(REPO_ROOT, '.cache', 'test-debs');
const RECORD_ONLY_DPKG = fileURLToPath(new URL('./dpkg-record-only.sh', import.meta.url));
const MERGED_USR_HOOKS = '/usr/share/mmdebstrap/hooks/merged-usr';
const APT_HELPER = '/usr/lib/apt/apt-helper';
const COMPLETE = 'complete';
const CALLS = 'dpkg-calls.json';
const LOCK_POLL_MS = 500;
const LOCK_TIMEOUT_MS = 30 * 60_000;
// A lock file still empty after this long belongs to a holder that died between open() and write().
const LOCK_EMPTY_GRACE_MS = 10_000;

const inFlight = new Map<string, Promise<RealDebs>>();

/**
 * The .debs that `mmdebstrap --variant=VARIANT --arch=ARCH
 * --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr SUITE` installs, downloaded once
 * into `<repo>/.cache/test-debs/SUITE-ARCH-VARIANT/` and reused afterwards, with the dpkg
 * calls of that run (`calls`). `include` adds `--include=...` and `mergedUsr: false` drops
 * the hooks (each its own cache directory, `SUITE-ARCH-VARIANT+...`). Safe to call from
 * parallel test workers: one downloads, the others wait for it.
 *
 * @example
 * const { debs, calls } = await realDebs({ suite: 'bookworm', arch: 'arm64', variant: 'essential' });
 * // debs: ['/…/.cache/test-debs/bookworm-arm64-essential/base-files_12.4+deb12u15_arm64.deb', …]
 * // calls[1]: mmdebstrap's stage-1 `dpkg --install --force-depends …` in apt's order
 */
export function realDebs(opts: RealDebsOptions): Promise<RealDebs> {
  const key = cacheKey(opts);
  let pending = inFlight.get(key);
  if (pending === undefined) {
    pending = fetchRealDebs(opts, key);
    inFlight.set(key, pending);
    // A failure must not stick: the next caller tries again.
    pending.catch(() => inFlight.delete(key));
  }
  return pending;
}

/**
 * Paths of the host's apt `Packages` lists (possibly compressed, e.g. `.lz4`; read them
 * with {@link readAptListFile}), in the order of the host's sources. Runs
 * `apt-get update` first if there are none yet.
 *
 * @example
 * const [main] = await hostPackagesIndexes();
 * const text = await readAptListFile(main);
 */
export async function hostPackagesIndexes(): Promise<string[]> {
  let files = await existingPackagesIndexes();
  if (files.length === 0) {
    await withFileLock(join(CACHE_ROOT, 'apt-update.lock'), async () => {
      // Another worker may have updated while we waited for the lock.
      if ((await existingPackagesIndexes()).length === 0) await runOrThrow('apt-get', ['update']);
    });
    files = await existingPackagesIndexes();
  }
  if (files.length === 0) throw new Error('the host apt configuration has no Packages index, even after apt-get update');
  return files;
}

/**
 * The text of an apt list file, decompressed by apt itself (`apt-helper cat-file`),
 * whatever compression apt keeps it in.
 *
 * @example
 * const packages = await readAptListFile('/var/lib/apt/lists/…_main_binary-amd64_Packages.lz4');
 */
export async function readAptListFile(path: string): Promise<string> {
  return (await runBuffer(APT_HELPER, ['cat-file', path])).toString('utf8');
}

async function existingPackagesIndexes(): Promise<string[]> {
  const out = await runOrThrow('apt-get', ['indextargets', '--format', '$(FILENAME)', 'Identifier: Packages']);
  const files: string[] = [];
  for (const line of out.split('\n')) {
    if (line !== '' && (await exists(line))) files.push(line);
  }
  return files;
}

// The default options keep the original `SUITE-ARCH-VARIANT` name; others add `+...` parts
// (not `-`, so that removeStaleWorkDirs of one key never matches another's work directory).
function cacheKey(opts: RealDebsOptions): string {
  let key = `${opts.suite}-${opts.arch}-${opts.variant}`;
  if (opts.mergedUsr === false) key += '+no-merged-usr';
  if (opts.withoutSecurity === true) key += '+no-security';
  const include = opts.include ?? [];
  if (include.length > 0) {
    for (const name of include) if (!/^[a-z0-9][a-z0-9+.-]*$/.test(name)) throw new Error(`not a package name: ${name}`);
    key += `+include-${createHash('sha256').update(include.join(',')).digest('hex').slice(0, 12)}`;
  }
  return key;
}

async function fetchRealDebs(opts: RealDebsOptions, key: string): Promise<RealDebs> {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(opts.arch)) throw new Error(`not a Debian architecture name: ${opts.arch}`);
  const dir = join(CACHE_ROOT, key);
  const cached = await readComplete(dir);
  if (cached) return cached;
  await mkdir(CACHE_ROOT, { recursive: true });
  return withFileLock(`${dir}.lock`, async () => {
    const done = await readComplete(dir);
    if (done) return done;
    await removeStaleWorkDirs(key);
    await download(opts, key, dir);
    const fresh = await readComplete(dir);
    if (!fresh) throw new Error(`${dir}: missing after download`);
    return fresh;
  });
}

async function readComplete(dir: string): Promise<RealDebs | undefined> {
  if (!(await exists(join(dir, COMPLETE))) || !(await exists(join(dir, CALLS)))) return undefined;
  const names = (await readdir(dir)).filter((n) => n.endsWith('.deb')).sort();
  const calls = JSON.parse(await readFile(join(dir, CALLS), 'utf8')) as DpkgCall[];
  return { dir, debs: names.map((n) => join(dir, n)), calls };
}

/** The stand-in's JSON-lines log (see dpkg-record-only.sh) as {@link DpkgCall}s. */
function parseCallsLog(text: string): DpkgCall[] {
  const calls: DpkgCall[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const raw = JSON.parse(line) as { args: string[]; debs: string[]; packages: string[] };
    let root: string | undefined;
    raw.args.forEach((a, i) => {
      if (a.startsWith('--root=')) root = a.slice('--root='.length);
      else if (a === '--root') root = raw.args[i + 1];
    });
    const mask = (a: string): string => {
      let out = root === undefined || root === '' ? a : a.split(root).join('$ROOT');
      out = out.replace(/\/apt-dpkg-install-[A-Za-z0-9]{6}(?=\/|$)/g, '/apt-dpkg-install-XXXXXX');
      // mktemp(1) directories of the merged-usr setup hook.
      out = out.replace(/\/tmp\/tmp\.[A-Za-z0-9]{10}(?=\/|$)/g, '/tmp/tmp.XXXXXXXXXX');
      return out;
    };
    const has = (...names: string[]) => raw.args.some((a) => names.includes(a));
    const action: DpkgCall['action'] = has('--install', '-i')
      ? 'install'
      : has('--unpack')
        ? 'unpack'
        : has('--configure')
          ? 'configure'
          : 'triggers-only';
    const install = action === 'install' || action === 'unpack';
    calls.push({
      args: raw.args.map(mask),
      action,
      pending: has('--pending', '-a'),
      debs: install ? raw.debs.map((d) => basename(d)) : [],
      packages: raw.packages,
    });
  }
  return calls;
}

// Stage, then commit: everything happens in a unique work directory next to the final
// one; only a complete result is renamed into place, so an interrupted run leaves at
// most a `.tmp-*` directory (removed by the next run once its process is gone).
async function download(opts: RealDebsOptions, key: string, dir: string): Promise<void> {
  for (const path of ['/usr/bin/mmdebstrap', MERGED_USR_HOOKS]) {
    if (!(await exists(path))) throw new Error(`${path} is missing: apt-get install mmdebstrap`);
  }
  const work = join(CACHE_ROOT, `.tmp-${key}-${process.pid}-${randomBytes(4).toString('hex')}`);
  // mmdebstrap's hook syntax splits on whitespace.
  if (/\s/.test(work)) throw new Error(`cache path contains whitespace, mmdebstrap hooks cannot take it: ${work}`);
  const out = join(work, 'out');
  const bin = join(work, 'bin');
  const tmp = join(work, 'tmp');
  const callsLog = join(work, 'dpkg-calls.jsonl');
  try {
    await mkdir(out, { recursive: true });
    await mkdir(bin, { recursive: true });
    await mkdir(tmp, { recursive: true });
    for (const tool of ['dpkg', 'dpkg-deb']) {
      await writeFile(join(bin, tool), `#!/bin/sh\nexec bash '${RECORD_ONLY_DPKG}' ${tool} "$@"\n`, { mode: 0o755 });
    }
    const fakeDpkg = join(bin, 'dpkg');
    const mirrors = (await hostMirrorLines(opts.suite)).filter((l) => !(opts.withoutSecurity === true && l.includes('-security ')));
    const args = [
      '--mode=chrootless',
      `--variant=${opts.variant}`,
      `--arch=${opts.arch}`,
      ...(opts.mergedUsr === false ? [] : [`--hook-dir=${MERGED_USR_HOOKS}`]),
      ...((opts.include ?? []).length > 0 ? [`--include=${(opts.include ?? []).join(',')}`] : []),
      `--aptopt=Dir::Bin::dpkg "${fakeDpkg}"`,
      '--skip=essential/unlink',
      `--customize-hook=sync-out /var/cache/apt/archives ${out}`,
      '--format=null',
      opts.suite,
      '/dev/null',
      ...mirrors,
    ];
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PATH: `${bin}:${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}`,
      TMPDIR: tmp,
      CROSSROOT_REAL_DPKG: '/usr/bin/dpkg',
      CROSSROOT_REAL_DPKG_DEB: '/usr/bin/dpkg-deb',
      CROSSROOT_DPKG_CALLS_LOG: callsLog,
    };
    delete env.APT_CONFIG;
    const result = await run('mmdebstrap', args, { env });
    if (result.code !== 0) {
      throw new Error(`mmdebstrap for ${key} failed (exit ${result.code}):\n${result.stderr.split('\n').slice(-30).join('\n')}`);
    }
    // sync-out copied the whole archives directory: keep only the packages.
    for (const name of await readdir(out)) {
      if (!name.endsWith('.deb')) await rm(join(out, name), { recursive: true, force: true });
    }
    const debs = (await readdir(out)).filter((n) => n.endsWith('.deb')).sort();
    if (debs.length === 0) throw new Error(`mmdebstrap for ${key} downloaded no packages`);
    const calls = parseCallsLog(await readFile(callsLog, 'utf8').catch(() => ''));
    if (!calls.some((c) => c.action === 'install')) throw new Error(`mmdebstrap for ${key}: the stand-in dpkg logged no install call (${callsLog})`);
    const callsJson = `${JSON.stringify(calls, null, 1)}\n`;
    await writeFile(join(out, CALLS), callsJson);
    await writeFile(
      join(out, COMPLETE),
      // No mirror URIs here: they are the host's business, not the cache's.
      `${JSON.stringify({ suite: opts.suite, arch: opts.arch, variant: opts.variant, include: opts.include, mergedUsr: opts.mergedUsr, count: debs.length }, null, 2)}\n`,
    );
    if (await exists(join(dir, COMPLETE))) {
      // A cache from before the calls log: keep it if it holds the same debs (other
      // workers may be reading them), adding the log; otherwise replace it.
      const old = (await readdir(dir)).filter((n) => n.endsWith('.deb')).sort();
      if (old.length === debs.length && old.every((n, i) => n === debs[i])) {
        await writeFile(join(work, CALLS), callsJson);
        await rename(join(work, CALLS), join(dir, CALLS));
        return;
      }
      await rename(dir, join(work, 'replaced'));
    }
    try {
      await rename(out, dir);
    } catch (err) {
      // Someone else committed first (only possible after a stale-lock race): theirs is as good.
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * mmdebstrap's default sources for SUITE (see the top of this file), with the archive
 * and security URIs taken from the host's apt configuration.
 */
export async function hostMirrorLines(suite: string): Promise<string[]> {
  const out = await runOrThrow('apt-get', ['indextargets', '--format', '$(REPO_URI) $(RELEASE)', 'Identifier: Packages']);
  const entries = out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [uri = '', release = ''] = l.split(' ');
      return { uri, release };
    });
  const archive = entries.find((e) => e.release === suite)?.uri;
  const security = entries.find((e) => e.release === `${suite}-security`)?.uri;
  if (archive === undefined || security === undefined) {
    throw new Error(
      `the host's apt sources lack ${archive === undefined ? suite : `${suite}-security`}; ` +
        `mmdebstrap's default set for ${suite} comes from ${suite}, ${suite}-updates and ${suite}-security (component main)`,
    );
  }
  // apt reports URIs with a trailing slash; the host's sources (and so crossroot's default
  // sources.list) have none. Without it, both tools write the same etc/apt/sources.list.
  const a = archive.replace(/\/+$/, '');
  const sec = security.replace(/\/+$/, '');
  const o = SNAPSHOT_OPTIONS;
  return [`deb ${o} ${a} ${suite} main`, `deb ${o} ${a} ${suite}-updates main`, `deb ${o} ${sec} ${suite}-security main`];
}

/**
 * The options of every test line for the host's mirror. It is a frozen snapshot: its
 * bookworm-security, trixie-updates and trixie-security Releases say `Valid-Until: Sun, 13 Dec
 * 2026`, and forky's and sid's have passed theirs, while the snapshot stays as it is. apt users
 * of a snapshot mirror write `[check-valid-until=no]`; so do the tests that are not about
 * freshness (test/repository/freshness.test.ts makes Releases of its own and keeps testing
 * expiry). test/repository/snapshot-expiry.test.ts checks these lines still resolve after the date.
 */
export const SNAPSHOT_OPTIONS = '[check-valid-until=no]';

/**
 * A one-line source's parts (`deb [OPTIONS] URI SUITE COMPONENT...`).
 *
 * @example
 * mirrorLineParts('deb [check-valid-until=no] http://m/debian bookworm main').uri // 'http://m/debian'
 */
export function mirrorLineParts(line: string): { type: string; options: string | undefined; uri: string; suite: string; components: string[] } {
  const m = /^(deb(?:-src)?)\s+(?:(\[[^\]]*\])\s+)?(\S+)\s+(\S+)((?:\s+\S+)*)\s*$/.exec(line);
  if (m === null) throw new Error(`not a one-line source: ${line}`);
  return { type: m[1]!, options: m[2], uri: m[3]!, suite: m[4]!, components: m[5]!.split(/\s+/).filter(Boolean) };
}

// Cross-process mutual exclusion by an O_EXCL lock file holding "PID TOKEN". A waiter
// removes a lock whose process is gone. The lock only avoids duplicate downloads:
// correctness comes from the unique work directory and the atomic rename.
async function withFileLock<T>(lockPath: string, fn: () => Promise<T>): Promise<T> {
  await mkdir(dirname(lockPath), { recursive: true });
  const token = `${process.pid} ${randomBytes(8).toString('hex')}\n`;
  const deadline = performance.now() + LOCK_TIMEOUT_MS;
  let emptySince: number | undefined;
  for (;;) {
    try {
      const handle = await open(lockPath, 'wx');
      try {
        await handle.writeFile(token);
      } finally {
        await handle.close();
      }
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = await readFile(lockPath, 'utf8').catch(() => '');
    const pid = Number.parseInt(holder, 10);
    // An empty file is usually a holder between open() and write(): give it time.
    emptySince = holder === '' ? (emptySince ?? performance.now()) : undefined;
    const stale = holder === '' ? performance.now() - (emptySince ?? 0) > LOCK_EMPTY_GRACE_MS : !isAlive(pid);
    if (stale) {
      await unlink(lockPath).catch(() => undefined);
      emptySince = undefined;
      continue;
    }
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${lockPath} (held by pid ${pid})`);
    await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
  }
  try {
    return await fn();
  } finally {
    // Only remove our own lock: after a stale-lock race it may be someone else's.
    if ((await readFile(lockPath, 'utf8').catch(() => '')) === token) await unlink(lockPath).catch(() => undefined);
  }
}

async function removeStaleWorkDirs(key: string): Promise<void> {
  const prefix = `.tmp-${key}-`;
  for (const name of await readdir(CACHE_ROOT)) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number.parseInt(name.slice(prefix.length), 10);
    if (!isAlive(pid)) await rm(join(CACHE_ROOT, name), { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path, constants.F_OK);
    return true;
  } catch {
    return false;
  }
}

async function runOrThrow(cmd: string, args: string[]): Promise<string> {
  const result = await run(cmd, args);
  if (result.code !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${result.code}: ${result.stderr}`);
  return result.stdout;
}
