// Synthetic packages through real dpkg 1.21.23 and through crossroot's database writer:
// the admin directories must be identical after every dpkg run AND at every moment a
// maintainer script runs (each script snapshots DPKG_ADMINDIR), and the scripts must be
// called with the same arguments and environment. Scripts call the host's dpkg-trigger,
// so activations through triggers/Unincorp are checked too.
import { lstat, mkdir, mkdtemp, readdir, readFile, rmdir, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DpkgDatabase, type ConffileAction } from '../../../src/install/dpkg-db/database.js';
import { diffTrees, hostScriptRunner, makeSkeleton, processingEvents, readDebInput, readTree, removeTree, runDpkg } from '../../support/dpkgdb-oracle.js';
import { buildSynthetic, control, type SynthPackage } from '../../support/dpkgdb-synthetic.js';
import { run } from '../../support/cli.js';

/** What the installer does with UnpackResult.obsoletePaths: unlink files, rmdir empty directories. */
async function removeObsolete(root: string, paths: readonly string[]): Promise<void> {
  for (const p of paths) {
    const full = join(root, p);
    const st = await lstat(full).catch(() => undefined);
    if (st === undefined) continue;
    if (st.isDirectory()) await rmdir(full).catch(() => undefined);
    else await unlink(full);
  }
}

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'crossroot-dpkgdb-syn-'));
});
afterAll(async () => {
  // CROSSROOT_KEEP_SCRATCH=1 keeps both roots and all snapshots for inspection.
  if (scratch !== undefined && process.env.CROSSROOT_KEEP_SCRATCH !== '1') await removeTree(scratch);
});

interface Step {
  /** dpkg arguments before the package files. */
  args: string[];
  debs?: SynthPackage[];
  noTriggers?: boolean;
}

/**
 * Runs `steps` with real dpkg in one root and replays them with crossroot in another;
 * compares after each step, then every script snapshot and the script log.
 */
async function scenario(name: string, steps: Step[], archs: string[] = ['amd64'], bare = false): Promise<void> {
  const base = join(scratch, name);
  const dpkgRoot = join(base, 'dpkg');
  const ourRoot = join(base, 'crossroot');
  const dpkgSnap = join(base, 'dpkg-snap');
  const ourSnap = join(base, 'crossroot-snap');
  for (const d of [dpkgSnap, ourSnap]) await mkdir(d, { recursive: true });
  for (const r of [dpkgRoot, ourRoot]) {
    if (bare) await mkdir(join(r, 'var/lib/dpkg'), { recursive: true });
    else await makeSkeleton(r, archs[0]!);
    await writeFile(join(r, 'var/lib/dpkg/arch'), archs.map((a) => `${a}\n`).join(''));
  }
  const db = await DpkgDatabase.open(ourRoot, { nativeArch: archs[0] });
  const runScript = hostScriptRunner(db, { SNAPDIR: ourSnap });
  // The conffile fate dpkg would choose in a root where files are really installed.
  const installedConffiles = new Map<string, { hash: string; by: string }>();
  const conffile = (pkgRef: string) => (path: string, hash: string): ConffileAction => {
    const prev = installedConffiles.get(path);
    const name = pkgRef.split(':')[0]!;
    if (prev !== undefined && prev.by !== pkgRef && prev.by.split(':')[0] === name && prev.hash === hash && recentlyUnpacked.has(pkgRef)) {
      return 'ghost';
    }
    installedConffiles.set(path, { hash, by: pkgRef });
    return prev !== undefined && prev.hash === hash ? 'keep' : 'install';
  };
  const recentlyUnpacked = new Set<string>();

  for (const [index, step] of steps.entries()) {
    const debs = await Promise.all((step.debs ?? []).map(buildSynthetic));
    const r = await runDpkg(dpkgRoot, [...step.args, ...debs], { SNAPDIR: dpkgSnap });
    expect(r.code, `${name} step ${index}: dpkg ${step.args.join(' ')}: ${r.stderr}`).toBe(0);

    await db.beginRun({ noTriggers: step.noTriggers });
    for (const deb of debs) {
      const input = await readDebInput(deb);
      // Extract for real (dpkg-deb -x), so that removals and directory checks see files.
      const extract = async () => {
        const x = await run('dpkg-deb', ['-x', deb, ourRoot]);
        if (x.code !== 0) throw new Error(x.stderr);
        return input.entries;
      };
      const res = await db.unpack(input, { runScript, extract });
      await removeObsolete(ourRoot, res.obsoletePaths);
      recentlyUnpacked.add(res.package);
    }
    for (const e of processingEvents(r.statusFd)) {
      if (e.action === 'configure') {
        await db.configure(e.pkg, { runScript, conffile: conffile(e.pkg) });
        recentlyUnpacked.delete(e.pkg);
      } else if (e.action === 'trigproc') await db.processTriggers(e.pkg, { runScript });
    }
    await db.endRun();
    const diffs = diffTrees(await readTree(join(dpkgRoot, 'var/lib/dpkg')), await readTree(join(ourRoot, 'var/lib/dpkg')));
    expect(diffs, `${name} after step ${index} (dpkg ${step.args.join(' ')})`).toEqual([]);
  }

  const dpkgLog = await readFile(join(dpkgSnap, 'log'), 'utf8').catch(() => '');
  const ourLog = await readFile(join(ourSnap, 'log'), 'utf8').catch(() => '');
  expect(ourLog, `${name}: maintainer script calls`).toEqual(dpkgLog);
  const snaps = (await readdir(dpkgSnap)).filter((n) => /^[0-9]{3}-/.test(n)).sort();
  expect((await readdir(ourSnap)).filter((n) => /^[0-9]{3}-/.test(n)).sort()).toEqual(snaps);
  for (const s of snaps) {
    const diffs = diffTrees(await readTree(join(dpkgSnap, s)), await readTree(join(ourSnap, s)));
    expect(diffs, `${name}: admin dir while ${s} ran`).toEqual([]);
  }
}

// ───────────────────────── packages ─────────────────────────

const FIELDS: SynthPackage = {
  control: [
    'Package: P1',
    'Version: 0:1.0-1',
    'Architecture: amd64',
    'Essential: yes',
    'Protected: yes',
    'priority: Optional',
    'Section: misc',
    'Installed-Size: 12',
    'Origin: Example',
    'Bugs: mailto:bugs@example.org',
    'Maintainer: Someone <s@example.org>',
    'Multi-Arch: no',
    'Source: p1src (0:1.0-1)',
    'depends: libc6(>=2.0) ,',
    '  foo|bar:any (<< 2:1.0) , baz (< 3),Zed (>1)',
    'Pre-Depends: qux (1.0)',
    'Recommends: Rec (>= 1)',
    'Provides: virt (= 1.0)',
    'Conflicts: conf',
    'Breaks: brk (<< 1)',
    'Replaces: rep',
    'Enhances: enh',
    'Suggests: sug',
    'X-Custom: value  ',
    'X-Multi: first',
    ' second',
    ' .',
    ' third',
    'Homepage: https://example.org',
    'X-Empty:',
    'X-Empty-First:',
    ' continued line',
    'Description: short',
    ' long description',
    ' .',
    ' more',
    '',
  ].join('\n'),
  files: {
    'usr/share/doc/p1/file': 'hello\n',
    'usr/share/doc/p1/link': { symlink: 'file' },
    'usr/share/doc/p1/hard': { hardlink: 'usr/share/doc/p1/file' },
    'usr/share/doc/p1/empty': { dir: true },
    'etc/p1.conf': 'setting=1\n',
    'etc/p1/other.conf': 'x\n',
    'usr/lib/p1/zlink': { symlink: '../../share/doc/p1/file' },
  },
  members: {
    conffiles: '/etc/p1.conf\n/etc/p1/other.conf\n',
    templates: 'Template: p1/question\nType: boolean\nDescription: a question?\n',
    shlibs: 'libp1 1 p1\n',
    'not.installed': 'a control member with a dot is not copied\n',
  },
  scripts: { preinst: '', postinst: '', prerm: '', postrm: '', config: '#!/bin/sh\nexit 0\n' },
};

const WITH_MD5SUMS: SynthPackage = {
  control: control({ Package: 'withmd5', Version: '2:3.4~rc1+b1', Priority: 'extra', Section: 'libs', 'Multi-Arch': 'foreign' }),
  files: { 'usr/share/withmd5/a': 'a\n', 'usr/share/withmd5/b': 'b\n' },
  // Not the real digests: dpkg copies the member, it never checks it.
  members: { md5sums: '00000000000000000000000000000000  usr/share/withmd5/a\n' },
};

const NO_FILES: SynthPackage = {
  control: control({ Package: 'nofiles', Priority: 'weird-priority', Description: '\n first line empty' }),
};

const tinterest = (version: string): SynthPackage => ({
  control: control({ Package: 'tinterest', Version: version }),
  files: { 'usr/share/tinterest/marker': 'i\n' },
  members: { triggers: '# trigger interests\ninterest tsync\ninterest-await tsync2\n  interest-noawait /usr/share/tdir  \ninterest /usr/share/tawait\n\n' },
  scripts: { postinst: '', prerm: '', postrm: '' },
});

const tactivator = (version: string, extra: Partial<SynthPackage> = {}): SynthPackage => ({
  control: control({ Package: 'tactivator', Version: version, Architecture: 'amd64' }),
  files: { 'usr/share/tdir/a': 'a\n', 'usr/share/tawait/b': 'b\n', 'etc/tact.conf': `v=${version}\n` },
  members: { triggers: 'activate tsync\n', conffiles: '/etc/tact.conf\n' },
  scripts: {
    preinst: '',
    postinst: 'if [ "$1" = configure ]; then dpkg-trigger tsync2; dpkg-trigger --no-await /usr/share/tdir/from-postinst; fi',
    prerm: '',
    postrm: '',
  },
  ...extra,
});

const libms = (arch: string): SynthPackage => ({
  control: control({ Package: 'libms', Version: '1.0-1', Architecture: arch, 'Multi-Arch': 'same', Section: 'libs' }),
  files: { [`usr/lib/${arch}/libms.so.1`]: `${arch}\n`, 'usr/share/doc/libms/copyright': 'shared\n', 'etc/libms.conf': 'shared=1\n' },
  members: { conffiles: '/etc/libms.conf\n', triggers: 'activate-noawait ldconfig\ninterest-noawait /usr/lib/ms-plugins\n', shlibs: 'libms 1 libms\n' },
  scripts: { preinst: '', postinst: '', postrm: '' },
});

const LDCONFIG: SynthPackage = {
  control: control({ Package: 'ldc', Architecture: 'amd64' }),
  members: { triggers: 'interest-await ldconfig\n' },
  scripts: { postinst: '' },
};

const FOREIGN: SynthPackage = {
  control: control({ Package: 'fpkg', Architecture: 'i386', 'Multi-Arch': 'foreign' }),
  files: { 'usr/lib/ms-plugins/p.so': 'plugin\n' },
  members: { triggers: 'activate tsync\nactivate-await ldconfig\nactivate fsync\n' },
  scripts: { postinst: '' },
};

/** A foreign-architecture package others await: named `fint:i386` in Triggers-Awaited. */
const FOREIGN_INTEREST: SynthPackage = {
  control: control({ Package: 'fint', Architecture: 'i386' }),
  members: { triggers: 'interest fsync\n' },
  scripts: { postinst: '' },
};

const MODES: SynthPackage = {
  control: control({ Package: 'modes' }),
  scripts: { preinst: '', postinst: '', prerm: '', postrm: '', config: '#!/bin/sh\n' },
  modes: { preinst: 0o644, postinst: 0o640, prerm: 0o700, postrm: 0o555, config: 0o600 },
};

/** Diverts /usr/share/orig/file from its preinst (dpkg-divert writes DPKG_ADMINDIR/diversions). */
const DIVERTER: SynthPackage = {
  control: control({ Package: 'diverter' }),
  scripts: { preinst: 'if [ "$1" = install ]; then dpkg-divert --package diverter --no-rename --divert /usr/share/diverted/file --add /usr/share/orig/file >/dev/null; fi' },
};

const DIVERTED_INTEREST: SynthPackage = {
  control: control({ Package: 'dinterest' }),
  members: { triggers: 'interest-noawait /usr/share/diverted/file\ninterest /usr/share/orig/file\n' },
  scripts: { postinst: '' },
};

/** Ships the diverted file: dpkg fires the trigger of the name it is diverted to. */
const DIVERTED: SynthPackage = {
  control: control({ Package: 'divertee' }),
  files: { 'usr/share/diverted': { dir: true }, 'usr/share/orig/file': 'orig\n' },
  scripts: { postinst: '' },
};

describe('dpkg database against real dpkg, synthetic packages', () => {
  it('diversions made by a maintainer script are read back: file triggers fire on the diverted name', async () => {
    await scenario('diversions', [
      { args: ['--install'], debs: [DIVERTED_INTEREST] },
      { args: ['--install'], debs: [DIVERTER, DIVERTED] },
    ]);
  }, 300_000);

  it('field normalisation, info files, generated and shipped md5sums', async () => {
    await scenario('fields', [{ args: ['--install', '--force-depends'], debs: [FIELDS, WITH_MD5SUMS, NO_FILES] }]);
  }, 300_000);

  it('a bare admin directory (no status, info, updates, triggers: dpkg creates them)', async () => {
    await scenario('bare', [{ args: ['--install'], debs: [tinterest('1'), MODES] }], ['amd64'], true);
  }, 300_000);

  it('script modes: dpkg makes the scripts it runs executable', async () => {
    await scenario('modes', [{ args: ['--install'], debs: [MODES] }]);
  }, 300_000);

  it('triggers over several runs: interests, activations at unpack/configure/by dpkg-trigger, awaiting, upgrades, --no-triggers, --pending', async () => {
    await scenario('triggers', [
      { args: ['--install'], debs: [tinterest('1'), tactivator('1')] },
      { args: ['--install'], debs: [tactivator('2', { members: { triggers: 'activate-noawait tsync\nactivate tsync2\n', conffiles: '/etc/tact.conf\n' } })] },
      { args: ['--no-triggers', '--unpack'], debs: [tactivator('3'), tinterest('2')], noTriggers: true },
      { args: ['--configure', '--pending'] },
      { args: ['--unpack'], debs: [tactivator('4', { files: { 'usr/share/tawait/c': 'c\n', 'etc/tact.conf': 'v=4\n' } })] },
      { args: ['--triggers-only', '--pending'] },
      { args: ['--configure', '-a'] },
    ]);
  }, 300_000);

  it('Triggers-Pending reverses at every run boundary', async () => {
    await scenario('pending-order', [
      { args: ['--install'], debs: [tinterest('1')] },
      { args: ['--no-triggers', '--unpack'], debs: [tactivator('1')], noTriggers: true },
      { args: ['--no-triggers', '--configure', 'tactivator'], noTriggers: true },
      { args: ['--triggers-only', '--pending'] },
    ]);
  }, 300_000);

  it('Multi-Arch: same pairs and foreign-architecture packages', async () => {
    await scenario(
      'multiarch',
      [
        { args: ['--install'], debs: [LDCONFIG, tinterest('1'), FOREIGN_INTEREST] },
        { args: ['--install'], debs: [libms('amd64'), libms('i386'), FOREIGN] },
      ],
      ['amd64', 'i386'],
    );
  }, 300_000);
});
