// Reading an existing database back: a hand-written status file full of corner cases goes
// through one do-nothing dpkg run (`dpkg --remove` of a package that is not installed:
// the database is opened for writing, nothing is changed, it is written back) and
// through crossroot's beginRun()/endRun(); the admin directories must be identical.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DpkgDatabase } from '../../../src/install/dpkg-db/database.js';
import { diffTrees, processingEvents, readTree, removeTree, replayEvents, runDpkg } from '../../support/dpkgdb-oracle.js';

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'crossroot-dpkgdb-rt-'));
});
afterAll(async () => {
  // CROSSROOT_KEEP_SCRATCH=1 keeps both roots for inspection.
  if (scratch !== undefined && process.env.CROSSROOT_KEEP_SCRATCH !== '1') await removeTree(scratch);
});

const STATUS = `Package: UPPER
Status: install ok installed
Priority: Important
Section: admin
Installed-Size: 5
Maintainer: M <m@example.org>
Architecture: amd64
Multi-Arch: Foreign
Version: 0:1.0
Depends: libc6(>=2.0),foo|bar
Revision: 3
Optional: opt-dep
Recommended: rec-dep
Class: extra
Description: d
 line2
 \t
 line4
X-Field: v

Package: halfconf
Status: install reinstreq half-configured
Config-Version: 0:0.9
Version: 1.0
Architecture: amd64
Maintainer: M <m@example.org>
Description: half configured

Package: pend
Status: install ok triggers-pending
Version: 1
Architecture: all
Maintainer: M <m@example.org>
Description: pending triggers
Triggers-Pending: t1 t2 t3

Package: awaiter
Status: install ok triggers-awaited
Version: 1
Architecture: all
Maintainer: M <m@example.org>
Description: awaits pend
Triggers-Awaited: pend

Package: stale-awaiter
Status: install ok triggers-awaited
Version: 1
Architecture: all
Maintainer: M <m@example.org>
Description: awaits a package without pending triggers
Triggers-Awaited: plain

Package: plain
Status: install ok installed
Version: 1
Architecture: all
Maintainer: M <m@example.org>
Description: plain

Package: cfgonly
Status: deinstall ok config-files
Version: 1
Architecture: amd64
Maintainer: M <m@example.org>
Conffiles:
 /etc/a 0123456789abcdef0123456789abcdef obsolete
 /etc/b newconffile remove-on-upgrade
 ./etc/c -
Description: config files only

Package: gone
Status: purge ok not-installed

Package: selected
Status: install ok not-installed
Architecture: amd64

Package: libx
Status: install ok installed
Version: 1
Architecture: i386
Multi-Arch: same
Maintainer: M <m@example.org>
Description: libx i386

Package: libx
Status: install ok installed
Version: 1
Architecture: amd64
Multi-Arch: same
Maintainer: M <m@example.org>
Description: libx amd64

Package: pkgx
Status: install ok installed
Version: 1
Architecture: i386
Multi-Arch: foreign
Maintainer: M <m@example.org>
Description: pkgx i386

Package: noarch
Status: hold ok installed
Version: 1
Maintainer: M <m@example.org>
Description: no architecture

Package: unpacked-with-aw
Status: install ok unpacked
Version: 2-1
Architecture: amd64
Maintainer: M <m@example.org>
Description: unpacked, awaiting
Triggers-Awaited: pend
`;

async function roundTrip(name: string, files: Record<string, string>, deferred: 'replay' | 'run' = 'replay'): Promise<string[]> {
  const roots = [join(scratch, name, 'dpkg'), join(scratch, name, 'crossroot')];
  for (const root of roots) {
    for (const [path, text] of Object.entries(files)) {
      await mkdir(join(root, 'var/lib/dpkg', path, '..'), { recursive: true });
      await writeFile(join(root, 'var/lib/dpkg', path), text, { mode: 0o644 });
    }
    await mkdir(join(root, 'var/lib/dpkg/updates'), { recursive: true });
  }
  const r = await runDpkg(roots[0]!, ['--remove', 'nosuchpkg']);
  expect(r.code, r.stderr).toBe(0);
  const db = await DpkgDatabase.open(roots[1]!);
  await db.beginRun();
  // Activations incorporated at start are processed at the end (trigproc_run_deferred).
  if (deferred === 'replay') await replayEvents(db, processingEvents(r.statusFd));
  else await db.runDeferredTriggers();
  await db.endRun();
  return diffTrees(await readTree(join(roots[0]!, 'var/lib/dpkg')), await readTree(join(roots[1]!, 'var/lib/dpkg')));
}

describe('dpkg database: status files read back as dpkg reads them', () => {
  it('corner cases: case, obsolete fields, Config-Version, triggers, selections, Multi-Arch order, blank continuation lines', async () => {
    expect(await roundTrip('plain', { arch: 'amd64\ni386\n', status: STATUS, 'triggers/Unincorp': '' })).toEqual([]);
  });

  it('leftover journal records are folded in first', async () => {
    const record = 'Package: plain\nStatus: install ok half-configured\nVersion: 1\nArchitecture: all\nMaintainer: M <m@example.org>\nDescription: plain\n';
    expect(await roundTrip('journal', { arch: 'amd64\ni386\n', status: STATUS, 'updates/0000': record, 'triggers/Unincorp': '' })).toEqual([]);
  });

  it('no triggers/Unincorp: the transitional activation of every interest', async () => {
    expect(
      await roundTrip('transitional', {
        arch: 'amd64\ni386\n',
        status: STATUS,
        'info/plain.triggers': 'interest t-plain\ninterest-noawait /usr/share/plain\n',
        'info/pend.triggers': 'interest t1\ninterest t9\n',
        'info/halfconf.triggers': 'interest t-half\n',
        'info/libx:amd64.triggers': 'interest-noawait t-libx\n',
      }),
    ).toEqual([]);
  });

  it.each(['replay', 'run'] as const)('activations queued in triggers/Unincorp by dpkg-trigger are incorporated at start (deferred processing: %s)', async (how) => {
    expect(
      await roundTrip(`unincorp-${how}`, {
        arch: 'amd64\ni386\n',
        status: STATUS,
        'triggers/Unincorp': 't-plain plain\n/usr/share/plain/sub/file -\nt-libx libx:amd64\n',
        'triggers/t-plain': 'plain\n',
        'triggers/t-libx': 'libx:amd64/noawait\nlibx:i386/noawait\n',
        'triggers/File': '/usr/share/plain plain/noawait\n',
        'info/plain.triggers': 'interest t-plain\ninterest-noawait /usr/share/plain\n',
      }, how),
    ).toEqual([]);
  });
});
