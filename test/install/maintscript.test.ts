// Tests for the maintainer script runner — oracle: the host's dpkg 1.21.23 running the same scripts with --force-script-chrootless.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdir, readFile, realpath, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CrossrootError, exitCodeFor } from '../../src/errors.js';
import {
  DEFAULT_DPKG_FORCE,
  DPKG_FORCE_OPTIONS,
  MaintainerScriptError,
  dpkgForceString,
  maintainerScriptEnvironment,
  maintainerScriptPath,
  runMaintainerScript,
  type MaintainerScriptName,
  type MaintainerScriptRun,
} from '../../src/install/maintscript.js';
import { PATCHES_DIR, findPatch, patchVersionDirectory, scriptToExecute } from '../../src/install/patches.js';
import { realDebs } from '../support/real-debs.js';
import { buildDeb, emptyDpkgRoot, hostArch, scratchDir, storeScript, type SyntheticPackage } from '../support/sandbox-debs.js';

const SDE = 1_700_000_000;

// Records what the script was given: its initial environment (/proc/$$/environ, before the
// shell adds anything), argv, working directory, umask, stdin, signal masks, ids, tty.
// The dump directory is named by a file, not a variable: the environment is under test.
const DUMP_SCRIPT = String.raw`#!/bin/sh
set -e
tag=$(cat "$DPKG_ROOT/dump-tag")
f="$DPKG_ROOT/dump/$tag/$DPKG_MAINTSCRIPT_PACKAGE.$DPKG_MAINTSCRIPT_NAME.$1"
mkdir -p "$DPKG_ROOT/dump/$tag"
tr '\0' '\n' < /proc/$$/environ | LC_ALL=C sort > "$f.env"
{ printf '%s\n' "$0"; for a in "$@"; do printf '[%s]\n' "$a"; done; echo "argc=$#"; } > "$f.args"
pwd -P > "$f.pwd"
umask > "$f.umask"
readlink /proc/$$/fd/0 > "$f.stdin"
# a builtin loop: dash blocks all signals while it waits for a child such as grep
while read -r l; do case $l in SigIgn*|SigBlk*) echo "$l";; esac; done < /proc/$$/status > "$f.signals"
id > "$f.id"
if tty -s; then echo tty; else echo no tty; fi > "$f.tty"
`;

/** The environment mmdebstrap gives its chrootless `dpkg --install` (notes/mmdebstrap.md §6), minus the caller's own. */
function mmdebstrapEnvironment(root: string): Record<string, string> {
  return {
    PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
    DEBIAN_FRONTEND: 'noninteractive',
    DEBCONF_NONINTERACTIVE_SEEN: 'true',
    LC_ALL: 'C.UTF-8',
    LANGUAGE: 'C.UTF-8',
    LANG: 'C.UTF-8',
    TMPDIR: `${root}/tmp`,
    SOURCE_DATE_EPOCH: String(SDE),
  };
}

/** Runs the host's dpkg chrootless on `root`, stdin /dev/null, as mmdebstrap does. */
function hostDpkg(root: string, args: string[]): void {
  const r = spawnSync(
    'dpkg',
    ['--force-not-root', '--force-script-chrootless', `--root=${root}`, '--log=/dev/null', '--force-depends', ...args],
    { env: mmdebstrapEnvironment(root), stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`dpkg ${args.join(' ')}: exit ${r.status}\n${r.stdout}${r.stderr}`);
}

/** Force options the host's /etc/dpkg/dpkg.cfg{,.d} turns on or off (they end up in dpkg's DPKG_FORCE). */
function hostConfigForces(): { on: Set<string>; off: Set<string> } {
  const on = new Set<string>();
  const off = new Set<string>();
  const files = ['/etc/dpkg/dpkg.cfg'];
  if (existsSync('/etc/dpkg/dpkg.cfg.d')) {
    for (const n of readdirSync('/etc/dpkg/dpkg.cfg.d').sort()) files.push(join('/etc/dpkg/dpkg.cfg.d', n));
  }
  for (const f of files) {
    if (!existsSync(f)) continue;
    for (const raw of readFileSync(f, 'utf8').split('\n')) {
      const line = raw.trim();
      let m = /^(?:--)?force-(\S+)$/.exec(line);
      if (m) for (const x of m[1]!.split(',')) on.add(x);
      m = /^(?:--)?(?:no-force|refuse)-(\S+)$/.exec(line);
      if (m) for (const x of m[1]!.split(',')) off.add(x);
    }
  }
  return { on, off };
}

function readDumps(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const n of readdirSync(dir).sort()) out.set(n, readFileSync(join(dir, n), 'utf8'));
  return out;
}

function envOf(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const i = line.indexOf('=');
    m.set(line.slice(0, i), line.slice(i + 1));
  }
  return m;
}

const work: string[] = [];
afterAll(async () => {
  for (const w of work) await rm(w, { recursive: true, force: true });
});

async function newRoot(prefix: string, arch = 'amd64'): Promise<string> {
  const w = await scratchDir(prefix);
  work.push(w);
  return emptyDpkgRoot(join(await realpath(w), 'root'), arch);
}

function run(root: string, over: Partial<MaintainerScriptRun> & Pick<MaintainerScriptRun, 'package' | 'script' | 'args'>): MaintainerScriptRun {
  const base = { root, arch: 'all', multiArchSame: false, sourceDateEpoch: SDE, ...over };
  return { ...base, scriptPath: over.scriptPath ?? maintainerScriptPath(root, base) };
}

describe('environment, arguments and working directory: the same as dpkg --force-script-chrootless', () => {
  let root: string;
  let arch: string;
  let dpkgDumps: Map<string, string>;
  let ourDumps: Map<string, string>;

  beforeAll(async () => {
    arch = await hostArch();
    root = await newRoot('maintscript-oracle', arch);
    const scripts = { preinst: DUMP_SCRIPT, postinst: DUMP_SCRIPT, prerm: DUMP_SCRIPT, postrm: DUMP_SCRIPT };
    const pkgs: SyntheticPackage[] = [
      { name: 'alpha', version: '1.0-1', arch: 'all', scripts },
      { name: 'beta', version: '2:1.0-1', arch, multiArchSame: true, scripts },
    ];
    const debs: string[] = [];
    for (const p of pkgs) debs.push(await buildDeb(join(root, '..'), p));

    // dpkg: a fresh install (preinst install, postinst configure "") ...
    await writeFile(join(root, 'dump-tag'), 'dpkg\n');
    hostDpkg(root, ['--install', ...debs]);

    // ... ours, on the same root and the same stored scripts ...
    await writeFile(join(root, 'dump-tag'), 'ours\n');
    for (const p of pkgs) {
      const ident = { package: p.name, arch: p.arch, multiArchSame: p.multiArchSame ?? false };
      // dpkg runs the new package's preinst from its unpacked control area.
      await mkdir(join(root, 'var/lib/dpkg/tmp.ci'), { recursive: true });
      await writeFile(join(root, 'var/lib/dpkg/tmp.ci/preinst'), DUMP_SCRIPT, { mode: 0o755 });
      await runMaintainerScript(run(root, { ...ident, script: 'preinst', args: ['install'] }));
      await rm(join(root, 'var/lib/dpkg/tmp.ci'), { recursive: true });
      await runMaintainerScript(run(root, { ...ident, script: 'postinst', args: ['configure', ''] }));
      await runMaintainerScript(run(root, { ...ident, script: 'prerm', args: ['remove'] }));
      await runMaintainerScript(run(root, { ...ident, script: 'postrm', args: ['remove'] }));
    }

    // ... and dpkg again: removal (prerm remove, postrm remove).
    await writeFile(join(root, 'dump-tag'), 'dpkg\n');
    hostDpkg(root, ['--remove', 'alpha', `beta:${arch}`]);

    dpkgDumps = readDumps(join(root, 'dump/dpkg'));
    ourDumps = readDumps(join(root, 'dump/ours'));
  });

  it('runs the same scripts with the same arguments', () => {
    expect([...ourDumps.keys()]).toEqual([...dpkgDumps.keys()]);
    expect(ourDumps.size).toBe(2 * 4 * 8);
    for (const [name, text] of dpkgDumps) {
      if (name.endsWith('.env')) continue;
      expect({ name, text: ourDumps.get(name) }).toEqual({ name, text });
    }
  });

  it('gives exactly the environment dpkg gives (DPKG_FORCE: less the host dpkg.cfg forces)', () => {
    const { on, off } = hostConfigForces();
    for (const [name, text] of dpkgDumps) {
      if (!name.endsWith('.env')) continue;
      const theirs = envOf(text);
      const ours = envOf(ourDumps.get(name)!);
      const theirForce = theirs.get('DPKG_FORCE')!;
      theirs.delete('DPKG_FORCE');
      const ourForce = ours.get('DPKG_FORCE');
      ours.delete('DPKG_FORCE');
      expect({ name, env: Object.fromEntries(ours) }).toEqual({ name, env: Object.fromEntries(theirs) });
      // dpkg's own value is ours plus what the host's configuration adds, in dpkg's order.
      const expected = new Set([...DEFAULT_DPKG_FORCE.split(','), ...on].filter((f) => !off.has(f)));
      expect(theirForce).toBe(dpkgForceString(expected));
      expect(ourForce).toBe(DEFAULT_DPKG_FORCE);
    }
  });

  it('matches what dpkg does, spelled out', () => {
    const alphaEnv = envOf(dpkgDumps.get('alpha.postinst.configure.env')!);
    expect(Object.fromEntries(alphaEnv)).toEqual({
      ...mmdebstrapEnvironment(root),
      DPKG_ADMINDIR: `${root}/var/lib/dpkg`,
      DPKG_ROOT: root,
      DPKG_FORCE: alphaEnv.get('DPKG_FORCE'),
      DPKG_MAINTSCRIPT_ARCH: 'all',
      DPKG_MAINTSCRIPT_DEBUG: '0',
      DPKG_MAINTSCRIPT_NAME: 'postinst',
      DPKG_MAINTSCRIPT_PACKAGE: 'alpha',
      DPKG_MAINTSCRIPT_PACKAGE_REFCOUNT: '1',
      // The oracle: the version of the dpkg that ran (the host's), as dpkg-query reports it.
      DPKG_RUNNING_VERSION: spawnSync('dpkg-query', ['--showformat=${Version}', '--show', 'dpkg'], { encoding: 'utf8' }).stdout,
    });
    expect(envOf(dpkgDumps.get('beta.preinst.install.env')!).get('DPKG_MAINTSCRIPT_ARCH')).toBe(arch);
    expect(envOf(dpkgDumps.get('beta.preinst.install.env')!).get('DPKG_MAINTSCRIPT_PACKAGE')).toBe('beta');
    expect(dpkgDumps.get('alpha.preinst.install.args')).toBe(`${root}/var/lib/dpkg/tmp.ci/preinst\n[install]\nargc=1\n`);
    expect(dpkgDumps.get('alpha.postinst.configure.args')).toBe(`${root}/var/lib/dpkg/info/alpha.postinst\n[configure]\n[]\nargc=2\n`);
    expect(dpkgDumps.get('beta.postinst.configure.args')).toBe(`${root}/var/lib/dpkg/info/beta:${arch}.postinst\n[configure]\n[]\nargc=2\n`);
    expect(dpkgDumps.get('beta.postrm.remove.args')).toBe(`${root}/var/lib/dpkg/info/beta:${arch}.postrm\n[remove]\nargc=1\n`);
    expect(dpkgDumps.get('alpha.postinst.configure.pwd')).toBe(`${root}\n`);
    expect(dpkgDumps.get('alpha.postinst.configure.umask')).toBe('0022\n');
    expect(dpkgDumps.get('alpha.postinst.configure.stdin')).toBe('/dev/null\n');
    expect(dpkgDumps.get('alpha.postinst.configure.tty')).toBe('no tty\n');
  });

  it('spells DPKG_FORCE in dpkg\'s table order', () => {
    expect(DEFAULT_DPKG_FORCE).toBe('security-mac,downgrade,not-root,script-chrootless,depends');
    expect(dpkgForceString(['depends', 'unsafe-io', 'not-root'])).toBe('not-root,unsafe-io,depends');
    expect(DPKG_FORCE_OPTIONS).toHaveLength(28);
    expect(() => dpkgForceString(['nonsense'])).toThrow(/unknown dpkg force option/);
  });
});

describe('environment construction', () => {
  const base = { root: '/srv/root/', package: 'libc6', arch: 'arm64', multiArchSame: true, script: 'postinst' as const, args: ['configure', ''], scriptPath: '/x', sourceDateEpoch: undefined };

  it('trims the root as dpkg does and leaves SOURCE_DATE_EPOCH out when unset', () => {
    const env = maintainerScriptEnvironment(base);
    expect(env.DPKG_ROOT).toBe('/srv/root');
    expect(env.DPKG_ADMINDIR).toBe('/srv/root/var/lib/dpkg');
    expect(env.TMPDIR).toBe('/srv/root/tmp');
    expect(env).not.toHaveProperty('SOURCE_DATE_EPOCH');
    expect(env).not.toHaveProperty('HOME');
    expect(maintainerScriptPath('/srv/root/', base)).toBe('/srv/root/var/lib/dpkg/info/libc6:arm64.postinst');
  });

  it('lets extraEnv override mmdebstrap\'s values but not dpkg\'s', () => {
    const env = maintainerScriptEnvironment({ ...base, extraEnv: { LANG: 'C', APT_CONFIG: '/a.conf', DPKG_ROOT: '/elsewhere' } });
    expect(env.LANG).toBe('C');
    expect(env.APT_CONFIG).toBe('/a.conf');
    expect(env.DPKG_ROOT).toBe('/srv/root');
    expect(() => maintainerScriptEnvironment({ ...base, extraEnv: { 'A=B': 'x' } })).toThrow(/not an environment variable/);
  });

  it('does not pass the caller\'s environment', () => {
    process.env.CROSSROOT_LEAK_TEST = 'leak';
    try {
      expect(maintainerScriptEnvironment(base)).not.toHaveProperty('CROSSROOT_LEAK_TEST');
    } finally {
      delete process.env.CROSSROOT_LEAK_TEST;
    }
  });
});

describe('failures', () => {
  let root: string;
  beforeAll(async () => {
    root = await newRoot('maintscript-fail');
  });

  async function failWith(script: string, over: Partial<MaintainerScriptRun> = {}): Promise<MaintainerScriptError> {
    const pkg = { name: over.package ?? 'fmt-test', arch: over.arch ?? 'all', multiArchSame: over.multiArchSame ?? false };
    const name: MaintainerScriptName = over.script ?? 'postinst';
    await storeScript(root, pkg, name, script);
    const err = await runMaintainerScript(
      run(root, { package: pkg.name, arch: pkg.arch, multiArchSame: pkg.multiArchSame, script: name, args: ['configure', ''], from: 'info', ...over }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MaintainerScriptError);
    return err as MaintainerScriptError;
  }

  it('reads "postinst configure of PKG failed (exit N)" and the last 20 lines of stderr', async () => {
    const err = await failWith('#!/bin/sh\ni=1\nwhile [ $i -le 30 ]; do echo "line $i" >&2; i=$((i+1)); done\necho "on stdout"\nexit 3\n');
    const tail = Array.from({ length: 20 }, (_, i) => `  line ${i + 11}`).join('\n');
    expect(err.message).toBe(`postinst configure of fmt-test failed (exit 3)\n${tail}`);
    expect(err.code).toBe('INSTALL_SCRIPT_FAILED');
    expect(err).toBeInstanceOf(CrossrootError);
    expect(exitCodeFor(err)).toBe(3);
    expect(err.exitCode).toBe(3);
    expect(err.script).toBe('postinst');
    expect(err.args).toEqual(['configure', '']);
    expect(err.stderrTail.split('\n')).toHaveLength(20);
  });

  it('names a Multi-Arch: same package with its architecture, and the action from the first argument', async () => {
    const err = await failWith('#!/bin/sh\necho "cannot frobnicate" >&2\nexit 1\n', {
      package: 'libfoo1',
      arch: 'arm64',
      multiArchSame: true,
      args: ['triggered', 'ldconfig /usr/lib'],
    });
    expect(err.message).toBe('postinst triggered of libfoo1:arm64 failed (exit 1)\n  cannot frobnicate');
  });

  it('quotes stdout when the script said nothing on stderr', async () => {
    const err = await failWith('#!/bin/sh\necho "E: broken"\nexit 1\n', { package: 'quiet-test' });
    expect(err.message).toBe('postinst configure of quiet-test failed (exit 1)\n  E: broken');
  });

  it('reports a script killed by a signal as a shell would (exit 128+N)', async () => {
    const err = await failWith('#!/bin/sh\nkill -TERM $$\n', { package: 'signal-test' });
    expect(err.message).toBe('postinst configure of signal-test failed (exit 143)');
  });

  it('does not run a script the package does not have, and that is no error', async () => {
    const r = await runMaintainerScript(run(root, { package: 'no-scripts', script: 'postrm', args: ['remove'] }));
    expect(r.ran).toBe(false);
  });

  it('makes a stored script executable first, as dpkg does (0644 -> 0755)', async () => {
    const path = await storeScript(root, { name: 'mode-test', arch: 'all' }, 'postinst', '#!/bin/sh\nexit 0\n');
    await chmod(path, 0o644);
    await runMaintainerScript(run(root, { package: 'mode-test', script: 'postinst', args: ['configure', ''] }));
    expect((await stat(path)).mode & 0o7777).toBe(0o755);
  });

  it('does not chmod through a symlink out of the root', async () => {
    const outside = join(root, '..', 'outside-script');
    await writeFile(outside, '#!/bin/sh\n', { mode: 0o644 });
    await symlink(outside, join(root, 'var/lib/dpkg/info/symlink-test.postinst'));
    await expect(runMaintainerScript(run(root, { package: 'symlink-test', script: 'postinst', args: ['configure', ''] }))).rejects.toMatchObject({
      code: 'INSTALL_UNSAFE_PATH',
    });
    expect((await stat(outside)).mode & 0o777).toBe(0o644);
  });

  it('refuses the host as target root, and names that are paths', async () => {
    await expect(runMaintainerScript(run('/', { package: 'x1', script: 'postinst', args: [] }))).rejects.toMatchObject({ code: 'INSTALL_ROOT_IS_HOST' });
    await expect(runMaintainerScript(run(root, { package: '../../etc', script: 'postinst', args: [] }))).rejects.toMatchObject({ code: 'INSTALL_BAD_NAME' });
    await expect(runMaintainerScript(run(join(root, 'missing'), { package: 'x1', script: 'postinst', args: [] }))).rejects.toMatchObject({
      code: 'INSTALL_ROOT_MISSING',
    });
  });
});

describe('patches', () => {
  let root: string;
  let patches: string;
  const sha = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');
  const ORIGINAL = '#!/bin/sh\necho "original $0 $*"\n';
  // Re-executes "$0" once, as debconf's confmodule does (exec frontend "$0" "$@").
  const PATCHED = '#!/bin/sh\nif [ -z "$REEXEC" ]; then REEXEC=1 exec "$0" "$@"; fi\necho "patched $0 $*"\necho patched > "$DPKG_ROOT/patched-ran"\n';

  beforeAll(async () => {
    root = await newRoot('maintscript-patch');
    patches = join(root, '..', 'patches');
    const put = async (rel: string, text: string) => {
      await mkdir(join(patches, rel, '..'), { recursive: true });
      await writeFile(join(patches, rel), text);
    };
    await put('pt/1.0-1/postinst', PATCHED);
    await put('pt/1.0-1/postinst.orig-sha256', `# the original\n${sha(ORIGINAL)}\n`);
    await put('pt/any/postinst', '#!/bin/sh\necho any\n');
    await put('pt/any/postinst.orig-sha256', `${sha(ORIGINAL)}\n`);
    await put('pe/1%3a2.0-1/preinst', '#!/bin/sh\necho epoch\n');
    await put('pe/1%3a2.0-1/preinst.orig-sha256', `${sha(ORIGINAL)}\n`);
    await put('stale/1/postinst', '#!/bin/sh\n');
    await put('stale/1/postinst.orig-sha256', `${'0'.repeat(64)}\n`);
    await put('unlisted/1/postinst', '#!/bin/sh\n');
    await storeScript(root, { name: 'pt', arch: 'all' }, 'postinst', ORIGINAL);
    await storeScript(root, { name: 'stale', arch: 'all' }, 'postinst', ORIGINAL);
    await storeScript(root, { name: 'unlisted', arch: 'all' }, 'postinst', ORIGINAL);
  });

  const stored = (pkg: string, script: MaintainerScriptName = 'postinst') => maintainerScriptPath(root, { package: pkg, arch: 'all', multiArchSame: false, script, from: 'info' });

  it('chooses the exact version over any, and the stored script when there is no patch', async () => {
    expect(await scriptToExecute(root, 'pt', '1.0-1', 'postinst', stored('pt'), patches)).toBe(join(patches, 'pt/1.0-1/postinst'));
    expect(await scriptToExecute(root, 'pt', '1.0-2', 'postinst', stored('pt'), patches)).toBe(join(patches, 'pt/any/postinst'));
    expect(await scriptToExecute(root, 'pt', '1.0-1', 'prerm', stored('pt', 'prerm'), patches)).toBe(stored('pt', 'prerm'));
    expect(await scriptToExecute(root, 'other', '1', 'postinst', stored('other'), patches)).toBe(stored('other'));
  });

  it('writes the epoch colon as %3a', async () => {
    expect(patchVersionDirectory('4:12.2.0-3')).toBe('4%3a12.2.0-3');
    expect((await findPatch('pe', '1:2.0-1', 'preinst', patches))?.versionDirectory).toBe('1%3a2.0-1');
    expect(() => patchVersionDirectory('../1')).toThrow(/not a valid version/);
  });

  it('refuses a patch made for another script, or one that does not say which', async () => {
    await expect(scriptToExecute(root, 'stale', '1', 'postinst', stored('stale'), patches)).rejects.toMatchObject({ code: 'INSTALL_PATCH_STALE' });
    await expect(scriptToExecute(root, 'unlisted', '1', 'postinst', stored('unlisted'), patches)).rejects.toMatchObject({ code: 'INSTALL_BAD_PATCH' });
    await expect(scriptToExecute(root, 'pe', '1:2.0-1', 'preinst', stored('pe', 'preinst'), patches)).rejects.toMatchObject({ code: 'INSTALL_SCRIPT_MISSING' });
    await expect(scriptToExecute(root, 'pt', '1.0-1', 'postinst', '/etc/passwd', patches)).rejects.toMatchObject({ code: 'INSTALL_BAD_NAME' });
  });

  it('executes the patch as the stored script ($0, re-exec), leaving the stored copy as it was', async () => {
    const exe = await scriptToExecute(root, 'pt', '1.0-1', 'postinst', stored('pt'), patches);
    const r = await runMaintainerScript(run(root, { package: 'pt', script: 'postinst', args: ['configure', ''], scriptPath: exe }));
    expect(r.stdout).toBe(`patched ${stored('pt')} configure \n`);
    expect(await readFile(stored('pt'), 'utf8')).toBe(ORIGINAL);
    expect(await readFile(join(root, 'patched-ran'), 'utf8')).toBe('patched\n');
  });
});

describe('the shipped patches', () => {
  // Every patch under patches/ must replace a script of a real bookworm package.
  const shipped: { pkg: string; dir: string; script: MaintainerScriptName }[] = [];
  for (const pkg of readdirSync(PATCHES_DIR, { withFileTypes: true })) {
    if (!pkg.isDirectory()) continue;
    for (const dir of readdirSync(join(PATCHES_DIR, pkg.name))) {
      for (const f of readdirSync(join(PATCHES_DIR, pkg.name, dir))) {
        if (!f.includes('.')) shipped.push({ pkg: pkg.name, dir, script: f as MaintainerScriptName });
      }
    }
  }

  it('are few and known', () => {
    expect(shipped.map((s) => `${s.pkg}/${s.dir}/${s.script}`).sort()).toEqual([
      'e2fsprogs/1.47.0-2+b2/postinst',
      'gcc/4%3a12.2.0-3/postinst',
      'util-linux-extra/2.38.1-5+deb12u3/postinst',
    ]);
  });

  it.each(['amd64', 'arm64'])('replace exactly the scripts of the bookworm %s buildd packages and are valid sh', async (arch) => {
    const { debs } = await realDebs({ suite: 'bookworm', arch, variant: 'buildd' });
    for (const s of shipped) {
      const deb = debs.find((d) => d.split('/').pop()!.startsWith(`${s.pkg}_${s.dir}_`));
      expect(deb, `${s.pkg} ${s.dir} in bookworm ${arch} buildd`).toBeDefined();
      const original = spawnSync('sh', ['-c', `dpkg-deb --ctrl-tarfile "$1" | tar -xO ./${s.script}`, 'sh', deb!]).stdout;
      const patch = await findPatch(s.pkg, s.dir.replaceAll('%3a', ':'), s.script);
      expect(patch?.originals).toContain(sha256(original));
      expect(spawnSync('sh', ['-n', patch!.path]).status).toBe(0);
    }
  });

  it('util-linux-extra postinst: the patch asks the target, the original asks the host', async () => {
    const { debs } = await realDebs({ suite: 'bookworm', arch: 'amd64', variant: 'essential' });
    const deb = debs.find((d) => d.includes('/util-linux-extra_'))!;
    const root = await newRoot('maintscript-ule');
    expect(spawnSync('dpkg-deb', ['-x', deb, root]).status).toBe(0);
    const original = spawnSync('sh', ['-c', 'dpkg-deb --ctrl-tarfile "$1" | tar -xO ./postinst', 'sh', deb]).stdout;
    const ident = { package: 'util-linux-extra', arch: 'amd64', multiArchSame: false };
    const storedPath = await storeScript(root, { name: 'util-linux-extra', arch: 'amd64' }, 'postinst', original.toString('utf8'));
    const patched = await scriptToExecute(root, 'util-linux-extra', '2.38.1-5+deb12u3', 'postinst', storedPath);
    const configure = (scriptPath: string) => runMaintainerScript(run(root, { ...ident, script: 'postinst', args: ['configure', ''], scriptPath }));

    // With the target's init script: update-rc.d (honouring DPKG_ROOT) links it, as in a chroot.
    await configure(patched);
    expect(readdirSync(join(root, 'etc/rcS.d'))).toEqual(['S01hwclock.sh']);
    expect(readdirSync(join(root, 'etc/rc0.d'))).toEqual(['K01hwclock.sh']);

    // Without it: nothing to link, whatever the host has.
    await rm(join(root, 'etc/init.d/hwclock.sh'));
    for (const d of ['rc0.d', 'rc6.d', 'rcS.d']) await rm(join(root, 'etc', d), { recursive: true });
    await configure(patched);
    expect(existsSync(join(root, 'etc/rcS.d'))).toBe(false);

    // The original decides by the host's /etc/init.d/hwclock.sh.
    const hostHas = spawnSync('test', ['-x', '/etc/init.d/hwclock.sh']).status === 0;
    const outcome = await configure(storedPath).then(
      () => 'ok',
      (e: MaintainerScriptError) => e.message,
    );
    if (hostHas) expect(outcome).toMatch(/^postinst configure of util-linux-extra failed \(exit 1\)/);
    else expect(outcome).toBe('ok');
  });
});

describe('the shipped patches change nothing but the host test', () => {
  // On a host where the original's test of the host is false, patched and original leave
  // the same tree (the original then does what a chroot would).
  const cases = [
    {
      pkg: 'gcc',
      version: '4:12.2.0-3',
      unpack: ['gcc', 'gcc-12'],
      hostTestFalse: () => spawnSync('sh', ['-c', '[ -h /etc/alternatives/f77 ] && [ ! -e /etc/alternatives/f77 ]']).status !== 0,
    },
    {
      pkg: 'e2fsprogs',
      version: '1.47.0-2+b2',
      unpack: ['e2fsprogs'],
      hostTestFalse: () => spawnSync('sh', ['-c', '[ -x /usr/sbin/update-initramfs ] && [ -e /etc/initramfs-tools/initramfs.conf ]']).status !== 0,
    },
  ];

  it.for(cases)('$pkg postinst', async (c, ctx) => {
    // This host would make the original fail (read-only host): nothing to compare.
    if (!c.hostTestFalse()) ctx.skip(`this host's state makes the original ${c.pkg} postinst take another branch`);
    const { debs } = await realDebs({ suite: 'bookworm', arch: 'amd64', variant: 'buildd' });
    const trees: string[] = [];
    for (const patched of [false, true]) {
      const root = await newRoot(`maintscript-${c.pkg}-${patched ? 'patched' : 'original'}`);
      for (const d of ['var/lib/dpkg/alternatives', 'etc/alternatives']) await mkdir(join(root, d), { recursive: true });
      let deb = '';
      for (const name of c.unpack) {
        deb = debs.find((x) => x.split('/').pop()!.startsWith(`${name}_`))!;
        expect(spawnSync('dpkg-deb', ['-x', deb, root]).status).toBe(0);
      }
      deb = debs.find((x) => x.split('/').pop()!.startsWith(`${c.pkg}_`))!;
      const original = spawnSync('sh', ['-c', 'dpkg-deb --ctrl-tarfile "$1" | tar -xO ./postinst', 'sh', deb]).stdout;
      const storedPath = await storeScript(root, { name: c.pkg, arch: 'amd64' }, 'postinst', original.toString('utf8'));
      const scriptPath = patched ? await scriptToExecute(root, c.pkg, c.version, 'postinst', storedPath) : storedPath;
      expect(scriptPath === storedPath).toBe(!patched);
      await runMaintainerScript(run(root, { package: c.pkg, arch: 'amd64', script: 'postinst', args: ['configure', ''], scriptPath }));
      const list = spawnSync('sh', ['-c', 'cd "$1" && find . -printf "%p %y %m %l\\n" | LC_ALL=C sort', 'sh', root], { encoding: 'utf8' });
      trees.push(list.stdout);
    }
    expect(trees[0]!.split('\n').length).toBeGreaterThan(10);
    expect(trees[1]).toBe(trees[0]);
  });
});

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}
