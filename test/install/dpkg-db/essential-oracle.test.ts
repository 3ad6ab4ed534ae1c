// The database crossroot writes for mmdebstrap's bookworm/amd64 essential set equals the one
// real dpkg 1.21.23 writes, file for file: one `dpkg --install --force-depends` of the set,
// and mmdebstrap's whole merged-usr sequence of five dpkg runs. The maintainer scripts are
// stubs that log their arguments and a digest of the admin directory at the moment they
// run, so every intermediate state a helper could see is compared too.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DpkgDatabase } from '../../../src/install/dpkg-db/database.js';
import {
  diffTrees,
  hostScriptRunner,
  RECORDING_STUB,
  makeSkeleton,
  packageOwnedAdminPaths,
  processingEvents,
  readDebInput,
  readTree,
  removeTree,
  replayEvents,
  runDpkg,
  stubDebs,
  mergedUsrDummy,
  type DebInput,
} from '../../support/dpkgdb-oracle.js';
import { realDebs } from '../../support/real-debs.js';

let scratch: string;
let stage1: string[];
let usrIsMerged: string;
const inputs = new Map<string, DebInput>();

async function input(deb: string): Promise<DebInput> {
  let i = inputs.get(deb);
  if (i === undefined) {
    i = await readDebInput(deb);
    inputs.set(deb, i);
  }
  return i;
}

beforeAll(async () => {
  const { debs, calls } = await realDebs({ suite: 'bookworm', arch: 'amd64', variant: 'essential' });
  const install = calls.find((c) => c.action === 'install' && c.debs.length > 1);
  if (install === undefined) throw new Error('no stage-1 dpkg --install call recorded');
  const byName = new Map(debs.map((d) => [basename(d), d]));
  const ordered = install.debs.map((n) => byName.get(n) ?? byName.get(decodeURIComponent(n))!);
  stage1 = await stubDebs('bookworm-amd64-essential', ordered, RECORDING_STUB);
  const merged = debs.find((d) => basename(d).startsWith('usr-is-merged_'))!;
  [usrIsMerged] = await stubDebs('bookworm-amd64-essential', [merged], RECORDING_STUB);
  scratch = await mkdtemp(join(tmpdir(), 'crossroot-dpkgdb-'));
}, 1_200_000);

afterAll(async () => {
  if (scratch !== undefined) await removeTree(scratch);
});

async function compareAdmin(dpkgRoot: string, ourRoot: string): Promise<string[]> {
  const a = join(dpkgRoot, 'var/lib/dpkg');
  const b = join(ourRoot, 'var/lib/dpkg');
  const owned = await packageOwnedAdminPaths(a);
  const isOwned = (p: string) => [...owned].some((o) => p === o || p.startsWith(`${o}/`));
  return diffTrees(await readTree(a), await readTree(b), isOwned);
}

describe('dpkg database: bookworm amd64 essential, stub scripts', () => {
  it('one dpkg --install --force-depends of the set', async () => {
    const dpkgRoot = join(scratch, 'one-dpkg');
    const ourRoot = join(scratch, 'one-crossroot');
    await makeSkeleton(dpkgRoot, 'amd64');
    await makeSkeleton(ourRoot, 'amd64');
    const dpkgLog = join(scratch, 'one-dpkg.log');
    const ourLog = join(scratch, 'one-crossroot.log');
    const r = await runDpkg(dpkgRoot, ['--install', '--force-depends', ...stage1], { SNAPLOG: dpkgLog });
    expect(r.code, r.stderr).toBe(0);

    const db = await DpkgDatabase.open(ourRoot, { nativeArch: 'amd64' });
    const runScript = hostScriptRunner(db, { SNAPLOG: ourLog });
    await db.beginRun();
    for (const deb of stage1) {
      const i = await input(deb);
      await db.unpack(i, { runScript, extract: () => i.entries });
    }
    await replayEvents(db, processingEvents(r.statusFd), runScript);
    await db.endRun();

    expect(await compareAdmin(dpkgRoot, ourRoot)).toEqual([]);
    const expected = await readFile(dpkgLog, 'utf8');
    expect(expected.split('\n').length).toBeGreaterThan(40); // preinst and postinst runs: two lines each
    expect(await readFile(ourLog, 'utf8')).toEqual(expected);
  }, 600_000);

  it("mmdebstrap's merged-usr sequence: dummy usr-is-merged, the set, then apt's upgrade to the real one", async () => {
    const dpkgRoot = join(scratch, 'merged-dpkg');
    const ourRoot = join(scratch, 'merged-crossroot');
    await makeSkeleton(dpkgRoot, 'amd64');
    await makeSkeleton(ourRoot, 'amd64');
    const dummy = await mergedUsrDummy();

    const runs: { args: string[]; unpack: string[]; noTriggers?: boolean }[] = [
      { args: ['--install', dummy], unpack: [dummy] },
      { args: ['--install', '--force-depends', ...stage1], unpack: stage1 },
      { args: ['--no-triggers', '--unpack', '--auto-deconfigure', usrIsMerged], unpack: [usrIsMerged], noTriggers: true },
      { args: ['--no-triggers', '--configure', 'usr-is-merged:all'], unpack: [], noTriggers: true },
      { args: ['--configure', '--pending'], unpack: [] },
    ];
    const dpkgLog = join(scratch, 'merged-dpkg.log');
    const ourLog = join(scratch, 'merged-crossroot.log');
    const db = await DpkgDatabase.open(ourRoot, { nativeArch: 'amd64' });
    const runScript = hostScriptRunner(db, { SNAPLOG: ourLog });
    for (const step of runs) {
      const r = await runDpkg(dpkgRoot, step.args, { SNAPLOG: dpkgLog });
      expect(r.code, `dpkg ${step.args.join(' ')}: ${r.stderr}`).toBe(0);
      await db.beginRun({ noTriggers: step.noTriggers });
      for (const deb of step.unpack) {
        const i = await input(deb);
        await db.unpack(i, { runScript, extract: () => i.entries });
      }
      await replayEvents(db, processingEvents(r.statusFd), runScript);
      await db.endRun();
      expect(await compareAdmin(dpkgRoot, ourRoot), `after dpkg ${step.args.slice(0, 3).join(' ')}`).toEqual([]);
    }
    expect(await readFile(ourLog, 'utf8')).toEqual(await readFile(dpkgLog, 'utf8'));
  }, 600_000);
});
