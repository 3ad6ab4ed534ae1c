// Oracle helpers for the dpkg database writer: real dpkg 1.21.23 installs into a scratch
// root, crossroot replays the same events into another, and the two admin directories
// are compared file by file (names, types, modes, bytes).
//
// Safety: dpkg runs with --root=TMP --force-script-chrootless, so maintainer scripts run
// on the host with cwd = TMP. Real packages are therefore only installed as copies whose
// preinst/postinst/prerm/postrm are `#!/bin/sh\nexit 0` stubs (dpkgdb-stub-deb.py);
// synthetic packages carry scripts written by the tests themselves.
import { createHash } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { chmod, lstat, mkdir, readdir, readFile, readlink, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readDeb } from '../../src/formats/deb/read.js';
import { hostDecompressor } from '../../src/host/decompress.js';
import type { ControlMemberInput, DpkgDatabase, MaintScriptCall } from '../../src/install/dpkg-db/database.js';
import type { DataEntry } from '../../src/install/dpkg-db/info-db.js';
import { REPO_ROOT, run } from './cli.js';

const STUB_TOOL = fileURLToPath(new URL('./dpkgdb-stub-deb.py', import.meta.url));
export const ORACLE_CACHE = join(REPO_ROOT, '.cache', 'dpkgdb-oracle');

/**
 * A stub maintainer script that logs, when $SNAPLOG is set, its package, name and
 * arguments and a digest of the whole admin directory as it is at that moment (names,
 * modes, contents; mtimes zeroed). `alternatives` and `parts` are left out: dpkg's own
 * package ships them, they are not database files.
 */
export const RECORDING_STUB = `#!/bin/sh
if [ -n "$SNAPLOG" ]; then
  {
    echo "$DPKG_MAINTSCRIPT_PACKAGE:$DPKG_MAINTSCRIPT_ARCH $DPKG_MAINTSCRIPT_NAME refcount=$DPKG_MAINTSCRIPT_PACKAGE_REFCOUNT argc=$# args=$*"
    tar -C "$DPKG_ADMINDIR" --exclude=./alternatives --exclude=./parts --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=gnu -cf - . | sha256sum
  } >> "$SNAPLOG"
fi
exit 0
`;

/**
 * Copies of `debs` with stub maintainer scripts (`#!/bin/sh\nexit 0`, or `stub`), built
 * once into the cache (`key` names the set and the stub).
 */
export async function stubDebs(key: string, debs: readonly string[], stub?: string): Promise<string[]> {
  const dir = join(ORACLE_CACHE, stub === undefined ? key : `${key}-${createHash('sha256').update(stub).digest('hex').slice(0, 8)}`);
  await mkdir(dir, { recursive: true });
  const stubArgs: string[] = [];
  if (stub !== undefined) {
    const stubFile = join(dir, 'stub.sh');
    await writeFile(stubFile, stub);
    stubArgs.push('--stub', stubFile);
  }
  const out: string[] = [];
  for (const deb of debs) {
    const target = join(dir, basename(deb));
    const done = await lstat(target).then(
      () => true,
      () => false,
    );
    if (!done) {
      const tmp = `${target}.tmp-${process.pid}`;
      const r = await run('python3', [STUB_TOOL, deb, tmp, ...stubArgs]);
      if (r.code !== 0) throw new Error(`stub ${deb}: ${r.stderr}`);
      await rename(tmp, target);
    }
    out.push(target);
  }
  return out;
}

/** mmdebstrap's database skeleton (notes §2.2), plus the directories the brief asks for. */
export async function makeSkeleton(root: string, arch: string): Promise<void> {
  const admin = join(root, 'var/lib/dpkg');
  for (const d of ['info', 'updates', 'triggers']) await mkdir(join(admin, d), { recursive: true, mode: 0o755 });
  await writeFile(join(admin, 'status'), '', { mode: 0o644 });
  await chmod(join(admin, 'status'), 0o644);
  await writeFile(join(admin, 'arch'), `${arch}\n`, { mode: 0o644 });
}

export interface DpkgRun {
  code: number;
  stdout: string;
  stderr: string;
  statusFd: string[];
}

/** Runs the host's dpkg on `root` (chrootless, no log), with --status-fd 3 captured. */
export function runDpkg(root: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<DpkgRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'dpkg',
      [`--root=${root}`, '--force-not-root', '--force-script-chrootless', '--log=/dev/null', '--status-fd', '3', ...args],
      { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] },
    );
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const fd: Buffer[] = [];
    child.stdout!.on('data', (c: Buffer) => out.push(c));
    child.stderr!.on('data', (c: Buffer) => err.push(c));
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (c: Buffer) => fd.push(c));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        code: code ?? 1,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
        statusFd: Buffer.concat(fd).toString().split('\n').filter((l) => l !== ''),
      }),
    );
  });
}

export interface DpkgEvent {
  action: 'install' | 'upgrade' | 'configure' | 'trigproc';
  /** As dpkg prints it (`libc6:amd64`, `base-files`). */
  pkg: string;
}

/** The `processing: ACTION: PKG` lines of --status-fd output. */
export function processingEvents(lines: readonly string[]): DpkgEvent[] {
  return lines.flatMap((l) => {
    const m = /^processing: (install|upgrade|configure|trigproc): (\S+)$/.exec(l);
    return m === null ? [] : [{ action: m[1] as DpkgEvent['action'], pkg: m[2]! }];
  });
}

/** A .deb read with crossroot's reader: its control members and data members (with MD5s). */
export interface DebInput {
  file: string;
  members: Map<string, ControlMemberInput>;
  entries: DataEntry[];
}

export async function readDebInput(file: string): Promise<DebInput> {
  // Decompressing data.tar for the MD5s is most of the cost: keep the member list of a
  // cached .deb beside it (stub and synthetic debs are never rewritten in place).
  const cacheFile = file.startsWith(ORACLE_CACHE) ? `${file}.entries.json` : undefined;
  if (cacheFile !== undefined) {
    const cached = await readFile(cacheFile, 'utf8').catch(() => undefined);
    if (cached !== undefined) {
      const c = JSON.parse(cached) as { members: [string, number, string][]; entries: DataEntry[] };
      const members = new Map(c.members.map(([name, mode, data]) => [name, { mode, data: Buffer.from(data, 'base64') }]));
      return { file, members, entries: c.entries };
    }
  }
  const entries: DataEntry[] = [];
  const control = await readDeb(createReadStream(file), {
    file,
    decompressor: hostDecompressor(),
    onData: async ({ entry, body }) => {
      const e: DataEntry = { path: entry.path, type: entry.type, linkname: entry.linkname };
      if (entry.type === 'file') {
        const h = createHash('md5');
        for await (const chunk of body) h.update(chunk);
        e.md5 = h.digest('hex');
      }
      entries.push(e);
    },
  });
  if (cacheFile !== undefined) {
    const members = [...control.members].map(([name, m]) => [name, m.mode, m.data.toString('base64')]);
    await writeFile(`${cacheFile}.tmp-${process.pid}`, JSON.stringify({ members, entries }));
    await rename(`${cacheFile}.tmp-${process.pid}`, cacheFile);
  }
  return { file, members: control.members, entries };
}

/** One file or directory of a tree: type, permission bits, content or link target. */
export interface TreeNode {
  type: 'file' | 'dir' | 'symlink' | 'other';
  mode: number;
  data?: Buffer;
  link?: string;
}

/** Every path below `dir` (relative, sorted), with what it is. */
export async function readTree(dir: string): Promise<Map<string, TreeNode>> {
  const out = new Map<string, TreeNode>();
  const walk = async (rel: string): Promise<void> => {
    for (const name of (await readdir(join(dir, rel))).sort()) {
      const r = rel === '' ? name : `${rel}/${name}`;
      const full = join(dir, r);
      const st = await lstat(full);
      const mode = st.mode & 0o7777;
      if (st.isDirectory()) {
        out.set(r, { type: 'dir', mode });
        await walk(r);
      } else if (st.isFile()) out.set(r, { type: 'file', mode, data: await readFile(full) });
      else if (st.isSymbolicLink()) out.set(r, { type: 'symlink', mode, link: await readlink(full) });
      else out.set(r, { type: 'other', mode });
    }
  };
  await walk('');
  return out;
}

/** Human-readable differences between two trees (empty when identical). */
export function diffTrees(expected: Map<string, TreeNode>, actual: Map<string, TreeNode>, ignore: (path: string) => boolean = () => false): string[] {
  const diffs: string[] = [];
  const names = [...new Set([...expected.keys(), ...actual.keys()])].filter((n) => !ignore(n)).sort();
  for (const n of names) {
    const e = expected.get(n);
    const a = actual.get(n);
    if (e === undefined) diffs.push(`+ ${n} (only crossroot)`);
    else if (a === undefined) diffs.push(`- ${n} (only dpkg)`);
    else if (e.type !== a.type) diffs.push(`~ ${n}: type ${e.type} vs ${a.type}`);
    else if (e.mode !== a.mode) diffs.push(`~ ${n}: mode ${e.mode.toString(8)} vs ${a.mode.toString(8)}`);
    else if (e.link !== a.link) diffs.push(`~ ${n}: link ${e.link} vs ${a.link}`);
    else if (e.data !== undefined && a.data !== undefined && !e.data.equals(a.data)) diffs.push(`~ ${n}: content differs\n${firstDifference(e.data, a.data)}`);
  }
  return diffs;
}

function firstDifference(a: Buffer, b: Buffer): string {
  const la = a.toString('latin1').split('\n');
  const lb = b.toString('latin1').split('\n');
  for (let i = 0; i < Math.max(la.length, lb.length); i++) {
    if (la[i] !== lb[i]) return `    line ${i + 1}:\n    dpkg:      ${JSON.stringify(la[i])}\n    crossroot: ${JSON.stringify(lb[i])}`;
  }
  return '    (same lines)';
}

/** Paths below var/lib/dpkg that packages ship (listed in some info/*.list): not the database's. */
export async function packageOwnedAdminPaths(admindir: string): Promise<Set<string>> {
  const owned = new Set<string>();
  for (const name of await readdir(join(admindir, 'info'))) {
    if (!name.endsWith('.list')) continue;
    for (const line of (await readFile(join(admindir, 'info', name), 'latin1')).split('\n')) {
      if (line.startsWith('/var/lib/dpkg/')) owned.add(line.slice('/var/lib/dpkg/'.length));
    }
  }
  return owned;
}

/** The host's dpkg version (dpkg-query): what the host's dpkg exports as DPKG_RUNNING_VERSION. */
const HOST_DPKG_VERSION = spawnSync('dpkg-query', ['--showformat=${Version}', '--show', 'dpkg'], { encoding: 'utf8' }).stdout;

/**
 * A maintainer-script runner that executes the script as dpkg does in chrootless mode
 * (cwd = root, dpkg's variables), with `extraEnv`.
 */
export function hostScriptRunner(db: DpkgDatabase, extraEnv: NodeJS.ProcessEnv = {}): (call: MaintScriptCall) => Promise<void> {
  return async (call) => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...extraEnv,
      DPKG_ROOT: db.root,
      DPKG_ADMINDIR: db.admindir,
      DPKG_MAINTSCRIPT_PACKAGE: call.package,
      DPKG_MAINTSCRIPT_PACKAGE_REFCOUNT: String(call.refcount),
      DPKG_MAINTSCRIPT_ARCH: call.arch,
      DPKG_MAINTSCRIPT_NAME: call.script,
      DPKG_MAINTSCRIPT_DEBUG: '0',
      DPKG_RUNNING_VERSION: HOST_DPKG_VERSION,
    };
    await new Promise<void>((resolve, reject) => {
      // argv[0] is the script's full path in chrootless mode (script.c maintscript_pre_exec).
      const child = spawn(call.path, call.args, { cwd: db.root, env, stdio: ['ignore', 'ignore', 'pipe'] });
      const err: Buffer[] = [];
      child.stderr!.on('data', (c: Buffer) => err.push(c));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${call.package} ${call.script} ${call.args.join(' ')}: exit ${code}: ${Buffer.concat(err).toString()}`))));
    });
  };
}

/** Replays dpkg's configure/trigproc events (from --status-fd) into `db`. */
export async function replayEvents(db: DpkgDatabase, events: readonly DpkgEvent[], runScript?: (call: MaintScriptCall) => Promise<void>): Promise<void> {
  for (const e of events) {
    if (e.action === 'configure') await db.configure(e.pkg, { runScript });
    else if (e.action === 'trigproc') await db.processTriggers(e.pkg, { runScript });
  }
}

/**
 * The dummy `usr-is-merged` package mmdebstrap's merged-usr setup hook builds and installs
 * first (/usr/share/mmdebstrap/hooks/merged-usr/setup00.sh), built the same way.
 */
export async function mergedUsrDummy(): Promise<string> {
  const out = join(ORACLE_CACHE, 'usr-is-merged-dummy.deb');
  if (await lstat(out).then(() => true, () => false)) return out;
  const tree = join(ORACLE_CACHE, `usr-is-merged-dummy.tree-${process.pid}`);
  await mkdir(join(tree, 'DEBIAN'), { recursive: true });
  await writeFile(
    join(tree, 'DEBIAN/control'),
    [
      'Package: usr-is-merged',
      'Priority: optional',
      'Section: oldlibs',
      'Maintainer: Johannes Schauer Marin Rodrigues <josch@debian.org>',
      'Architecture: all',
      'Multi-Arch: foreign',
      'Source: mmdebstrap-dummy-usr-is-merged',
      'Version: 1',
      'Description: dummy package created by mmdebstrap merged-usr setup hook',
      ' This package was generated and installed by the mmdebstrap merged-usr',
      ' setup hook at /usr/share/mmdebstrap/hooks/merged-usr.',
      ' .',
      ' If this package is installed in the final chroot, then this is a bug',
      ' in mmdebstrap. Please report: https://gitlab.mister-muffin.de/josch/mmdebstrap',
      '',
    ].join('\n'),
  );
  const tmp = `${out}.tmp-${process.pid}`;
  const r = await run('dpkg-deb', ['--root-owner-group', '--build', tree, tmp]);
  await rm(tree, { recursive: true, force: true });
  if (r.code !== 0) throw new Error(`dpkg-deb --build: ${r.stderr}`);
  await rename(tmp, out);
  return out;
}

/** Removes a scratch directory. */
export async function removeTree(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}
