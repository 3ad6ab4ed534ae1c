// The configure-order oracle: the host's real dpkg (1.21.23) run on stubbed .debs in a throwaway root, its --status-fd parsed.
//
// Safety: every maintainer script of a stub is a shell one-liner that appends its
// arguments to a log inside the temporary root and exits 0; data.tar members are kept
// (names, types, modes, links) but every regular file is emptied, so no foreign binary
// and no real script ever runs, and dpkg is always given --root, --force-not-root and
// --force-script-chrootless (scripts run with cwd = the root, DPKG_ROOT set).
// What the stubs keep, because the order depends on it: the control file (relations,
// Multi-Arch, ...), which maintainer scripts exist (a postinst or not decides where dpkg
// breaks a dependency cycle), the `triggers` and `conffiles` control files, and the file list
// (file triggers fire on unpacked paths).
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDeb822, parseSingleParagraph } from '../../src/formats/deb822/parse.js';
import {
  STATUS_RELATION_FIELDS,
  type PlanPackage,
  type RelationField,
} from '../../src/install/configure-plan.js';
import { run, runBuffer } from './cli.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CACHE = join(REPO_ROOT, '.cache', 'configure-oracle');
// Bump when the stub recipe changes: old stubs are then ignored.
const STUB_VERSION = 'v1';
const SCRIPTS = ['preinst', 'postinst', 'prerm', 'postrm', 'config'] as const;
export const POSTINST_LOG = 'crossroot-postinst.log';

// Logs "PKG ARCH ACTION ARG2" (ARG2: the space-separated trigger names for `triggered`).
const STUB_POSTINST = `#!/bin/sh\nprintf '%s %s %s %s\\n' "$DPKG_MAINTSCRIPT_PACKAGE" "$DPKG_MAINTSCRIPT_ARCH" "$1" "$2" >> "$DPKG_ROOT/${POSTINST_LOG}"\nexit 0\n`;
const STUB_OTHER = '#!/bin/sh\nexit 0\n';

/** A stubbed package: the .deb to give dpkg and what the planner is told about it. */
export interface OracleDeb {
  deb: string;
  plan: PlanPackage;
}

/**
 * A stub of a real .deb, cached in `<repo>/.cache/configure-oracle/stubs-v1/`.
 * Safe to call from parallel workers (stage in a unique directory, then rename).
 */
export async function stubRealDeb(deb: string): Promise<OracleDeb> {
  const dir = join(CACHE, `stubs-${STUB_VERSION}`);
  const name = basename(deb);
  const out = join(dir, name);
  const meta = `${out}.json`;
  if (existsSync(out) && existsSync(meta)) return { deb: out, plan: JSON.parse(await readFile(meta, 'utf8')) as PlanPackage };
  await mkdir(dir, { recursive: true });
  const work = await mkdtemp(join(dir, `.tmp-${process.pid}-`));
  try {
    const tree = join(work, 'tree');
    await runOrThrow('dpkg-deb', ['-R', deb, tree]);
    for (const script of SCRIPTS) {
      const path = join(tree, 'DEBIAN', script);
      if (existsSync(path)) await writeFile(path, script === 'postinst' ? STUB_POSTINST : STUB_OTHER, { mode: 0o755 });
    }
    await emptyRegularFiles(tree, join(tree, 'DEBIAN'));
    const built = join(work, name);
    await runOrThrow('dpkg-deb', ['-Znone', '--build', tree, built]);
    const plan = await describeDeb(built);
    await writeFile(`${built}.json`, `${JSON.stringify(plan, null, 1)}\n`);
    // The .deb last: its presence (with the JSON) marks a complete entry.
    await rename(`${built}.json`, meta);
    await rename(built, out);
    return { deb: out, plan };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function emptyRegularFiles(dir: string, skip: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (path === skip) continue;
    if (entry.isDirectory()) await emptyRegularFiles(path, skip);
    else if (entry.isFile()) {
      const st = await stat(path);
      await writeFile(path, '');
      await chmod(path, st.mode & 0o7777); // writeFile keeps the mode, but be explicit
    }
  }
}

/** A synthetic package for the small cases. `postinst` defaults to true. */
export interface SyntheticSpec {
  name: string;
  version?: string;
  arch?: string;
  multiArch?: string;
  /** Relation fields, written in this order. */
  relations?: ReadonlyArray<readonly [RelationField, string]>;
  postinst?: boolean;
  triggers?: string;
  /** Regular files to ship (absolute paths); their directories are shipped too. */
  files?: readonly string[];
  /** Conffiles (absolute paths, shipped as files). */
  conffiles?: readonly string[];
}

/**
 * Builds synthetic packages with dpkg-deb into `<repo>/.cache/configure-oracle/synthetic/`
 * (keyed by the spec), returning them in the order given.
 */
export async function buildSynthetic(specs: readonly SyntheticSpec[]): Promise<OracleDeb[]> {
  const dir = join(CACHE, `synthetic-${STUB_VERSION}`);
  await mkdir(dir, { recursive: true });
  const out: OracleDeb[] = [];
  for (const spec of specs) {
    const key = createHash('sha256').update(JSON.stringify(spec)).digest('hex').slice(0, 16);
    const version = spec.version ?? '1';
    const arch = spec.arch ?? 'all';
    const file = join(dir, `${spec.name}_${version}_${arch}_${key}.deb`);
    if (!(existsSync(file) && existsSync(`${file}.json`))) {
      const work = await mkdtemp(join(dir, `.tmp-${process.pid}-`));
      try {
        const tree = join(work, 'tree');
        await mkdir(join(tree, 'DEBIAN'), { recursive: true });
        const lines = [`Package: ${spec.name}`, `Version: ${version}`, `Architecture: ${arch}`, 'Maintainer: crossroot tests <tests@invalid>'];
        if (spec.multiArch !== undefined) lines.push(`Multi-Arch: ${spec.multiArch}`);
        for (const [field, value] of spec.relations ?? []) lines.push(`${field}: ${value}`);
        lines.push(`Description: synthetic package ${spec.name}`, ' Built by the configure-plan tests.');
        await writeFile(join(tree, 'DEBIAN', 'control'), `${lines.join('\n')}\n`);
        if (spec.postinst ?? true) await writeFile(join(tree, 'DEBIAN', 'postinst'), STUB_POSTINST, { mode: 0o755 });
        if (spec.triggers !== undefined) await writeFile(join(tree, 'DEBIAN', 'triggers'), spec.triggers);
        if (spec.conffiles !== undefined && spec.conffiles.length > 0) {
          await writeFile(join(tree, 'DEBIAN', 'conffiles'), spec.conffiles.map((c) => `${c}\n`).join(''));
        }
        for (const path of [...(spec.files ?? []), ...(spec.conffiles ?? [])]) {
          await mkdir(dirname(join(tree, path)), { recursive: true });
          await writeFile(join(tree, path), `${spec.name}\n`);
        }
        const built = join(work, 'out.deb');
        await runOrThrow('dpkg-deb', ['--root-owner-group', '-Znone', '--build', tree, built]);
        const plan = await describeDeb(built);
        await writeFile(`${file}.json.tmp`, `${JSON.stringify(plan, null, 1)}\n`);
        await rename(`${file}.json.tmp`, `${file}.json`);
        await rename(built, file);
      } finally {
        await rm(work, { recursive: true, force: true });
      }
    }
    out.push({ deb: file, plan: JSON.parse(await readFile(`${file}.json`, 'utf8')) as PlanPackage });
  }
  return out;
}

/** What a .deb tells the planner, read with dpkg-deb and GNU tar. */
export async function describeDeb(deb: string): Promise<PlanPackage> {
  const work = await mkdtemp(join(tmpdir(), 'crossroot-describe-'));
  try {
    await runOrThrow('dpkg-deb', ['--control', deb, work]);
    const control = parseSingleParagraph(await readFile(join(work, 'control'), 'utf8'));
    const get = (f: string): string | undefined => control.get(f);
    const relations: [RelationField, string][] = [];
    for (const field of control.fields()) {
      const known = STATUS_RELATION_FIELDS.find((f) => f.toLowerCase() === field.name.toLowerCase());
      if (known !== undefined) relations.push([known, field.value]);
    }
    const plan: PlanPackage = {
      name: required(get('Package'), 'Package', deb),
      version: required(get('Version'), 'Version', deb),
      architecture: required(get('Architecture'), 'Architecture', deb),
      relations,
      hasPostinst: existsSync(join(work, 'postinst')),
    };
    const ma = get('Multi-Arch');
    if (ma !== undefined) plan.multiArch = ma;
    if (existsSync(join(work, 'triggers'))) plan.triggers = await readFile(join(work, 'triggers'), 'utf8');
    if (existsSync(join(work, 'conffiles'))) {
      plan.conffiles = (await readFile(join(work, 'conffiles'), 'utf8'))
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l !== '')
        .map((l) => l.split(/\s+/).find((w) => w.startsWith('/')) ?? l);
    }
    const tarFile = join(work, 'data.tar');
    await writeFile(tarFile, await runBuffer('dpkg-deb', ['--fsys-tarfile', deb]));
    const names = (await runBuffer('tar', ['--quoting-style=literal', '-tf', tarFile])).toString('utf8');
    plan.files = names
      .split('\n')
      .filter((n) => n !== '')
      .map((n) => {
        const p = n.replace(/^\.\//, '/').replace(/\/$/, '');
        return p === '' ? '/.' : p;
      });
    return plan;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function required(v: string | undefined, field: string, deb: string): string {
  if (v === undefined) throw new Error(`${deb}: no ${field}`);
  return v;
}

/** One event dpkg reported: from --status-fd, with trigger names from the postinst log. */
export interface OracleEvent {
  kind: 'unpack' | 'configure' | 'trigger' | 'error';
  /** As dpkg names it on --status-fd, without an `:arch` qualifier. */
  package: string;
  /** For `trigger`: the argument of `postinst triggered`, split. */
  triggers?: string[];
  /** For `error`: the first line of dpkg's message. */
  message?: string;
}

/** A status-file stanza, reduced to what the planner models. */
export interface OracleStatus {
  package: string;
  architecture: string;
  status: string;
  configVersion?: string;
  triggersPending?: string[];
  triggersAwaited?: string[];
}

export interface OracleStepResult {
  args: string[];
  exitCode: number;
  events: OracleEvent[];
  status: OracleStatus[];
  /** triggers/File and triggers/<name> as `trigger package[/noawait]` lines. */
  interests: string[];
  stderr: string;
  ms: number;
}

/**
 * Runs dpkg steps (each an argument list such as `['--install', '--force-depends', ...debs]`)
 * one after the other in a fresh root, as mmdebstrap's chrootless mode would set it up
 * (`var/lib/dpkg/{status,arch}`, nothing else), and reports each step.
 */
export async function runDpkgOracle(steps: readonly string[][], opts: { nativeArch?: string } = {}): Promise<OracleStepResult[]> {
  // tmpfs makes dpkg's fsyncs free: ~4x faster than disk for the essential set.
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const root = await mkdtemp(join(base, `crossroot-configure-oracle-${randomBytes(3).toString('hex')}-`));
  try {
    const admin = join(root, 'var', 'lib', 'dpkg');
    await mkdir(join(admin, 'updates'), { recursive: true });
    await mkdir(join(admin, 'info'), { recursive: true });
    await writeFile(join(admin, 'status'), '');
    await writeFile(join(admin, 'arch'), `${opts.nativeArch ?? 'amd64'}\n`);
    const results: OracleStepResult[] = [];
    for (const args of steps) {
      await rm(join(root, POSTINST_LOG), { force: true });
      const started = performance.now();
      // fd 3 is --status-fd; stdout is dpkg's chatter.
      const r = await run('sh', [
        '-c',
        'root=$1; shift; exec dpkg --root="$root" --force-not-root --force-script-chrootless --log=/dev/null --status-fd=3 "$@" 3>&1 1>/dev/null',
        'sh',
        root,
        ...args,
      ]);
      const ms = performance.now() - started;
      const log = existsSync(join(root, POSTINST_LOG)) ? await readFile(join(root, POSTINST_LOG), 'utf8') : '';
      results.push({
        args,
        exitCode: r.code,
        events: parseEvents(r.stdout, log),
        status: await readStatus(join(admin, 'status')),
        interests: await readInterests(join(admin, 'triggers')),
        stderr: r.stderr,
        ms,
      });
    }
    return results;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

function stripArch(name: string): string {
  const i = name.indexOf(':');
  return i < 0 ? name : name.slice(0, i);
}

function parseEvents(statusFd: string, postinstLog: string): OracleEvent[] {
  const calls = postinstLog
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [pkg = '', , action = '', ...rest] = l.split(' ');
      return { pkg, action, arg: rest.join(' ') };
    });
  let next = 0;
  const events: OracleEvent[] = [];
  for (const line of statusFd.split('\n')) {
    let m = /^processing: (install|configure|trigproc): (\S+)$/.exec(line);
    if (m !== null) {
      const pkg = stripArch(m[2]!);
      const kind = m[1] === 'install' ? 'unpack' : m[1] === 'configure' ? 'configure' : 'trigger';
      const event: OracleEvent = { kind, package: pkg };
      if (kind !== 'unpack') {
        // The postinst calls come in the same order; a package without postinst has none.
        const call = calls[next];
        const action = kind === 'configure' ? 'configure' : 'triggered';
        if (call !== undefined && call.pkg === pkg && call.action === action) {
          next++;
          if (kind === 'trigger') event.triggers = call.arg.split(' ').filter((t) => t !== '');
        } else if (kind === 'trigger') {
          throw new Error(`oracle: trigger processing for ${pkg} without a postinst call to learn the trigger names from`);
        }
      }
      events.push(event);
      continue;
    }
    m = /^status: (\S+) : error : (.*)$/.exec(line);
    if (m !== null) events.push({ kind: 'error', package: stripArch(m[1]!), message: m[2]! });
  }
  if (next !== calls.length) {
    throw new Error(`oracle: ${calls.length - next} postinst calls not matched by --status-fd events, from: ${JSON.stringify(calls[next])}`);
  }
  return events;
}

async function readStatus(file: string): Promise<OracleStatus[]> {
  const out: OracleStatus[] = [];
  for (const p of parseDeb822(await readFile(file, 'utf8'))) {
    const words = (f: string): string[] | undefined => {
      const v = p.get(f);
      return v === undefined ? undefined : v.split(/\s+/).filter((w) => w !== '');
    };
    const s: OracleStatus = {
      package: p.get('Package') ?? '',
      architecture: p.get('Architecture') ?? '',
      status: (p.get('Status') ?? '').split(' ')[2] ?? '',
    };
    const cv = p.get('Config-Version');
    if (cv !== undefined) s.configVersion = cv;
    const tp = words('Triggers-Pending');
    if (tp !== undefined) s.triggersPending = tp;
    const ta = words('Triggers-Awaited');
    if (ta !== undefined) s.triggersAwaited = ta;
    out.push(s);
  }
  return out;
}

async function readInterests(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const files = (await readdir(dir)).filter((n) => !['Lock', 'Unincorp', 'File'].includes(n) && !n.endsWith('.new')).sort();
  for (const name of files) {
    for (const line of (await readFile(join(dir, name), 'utf8')).split('\n')) if (line !== '') out.push(`${name} ${line}`);
  }
  if (existsSync(join(dir, 'File'))) {
    for (const line of (await readFile(join(dir, 'File'), 'utf8')).split('\n')) if (line !== '') out.push(line);
  }
  return out;
}

async function runOrThrow(cmd: string, args: string[]): Promise<void> {
  const r = await run(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
}
