// mmdebstrap's bookworm/amd64 buildd install, every dpkg call as recorded (real-debs.ts:
// the merged-usr hook's runs, the essential `dpkg --install`, then apt's stage-2 calls with
// --no-triggers, --recursive unpacks and `--configure --pending`, where libc-bin's ldconfig
// trigger is processed), run by real dpkg 1.21.23 and replayed by crossroot; the admin
// directories must match after every call, and at every maintainer script (digest log).
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DpkgDatabase } from '../../../src/install/dpkg-db/database.js';
import {
  diffTrees,
  hostScriptRunner,
  mergedUsrDummy,
  packageOwnedAdminPaths,
  processingEvents,
  readDebInput,
  readTree,
  RECORDING_STUB,
  removeTree,
  replayEvents,
  runDpkg,
  stubDebs,
  makeSkeleton,
} from '../../support/dpkgdb-oracle.js';
import { realDebs, type DpkgCall } from '../../support/real-debs.js';

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'crossroot-dpkgdb-buildd-'));
});
afterAll(async () => {
  if (scratch !== undefined) await removeTree(scratch);
});

/** The options of a recorded call that matter to the database (paths, logs and fds are ours). */
function dpkgOptions(call: DpkgCall): string[] {
  const keep = new Set(['--install', '--unpack', '--configure', '--pending', '-a', '--no-triggers', '--force-depends', '--auto-deconfigure']);
  return call.args.filter((a) => keep.has(a));
}

describe('dpkg database: bookworm amd64 buildd, every recorded dpkg call', () => {
  it('matches real dpkg after each call and at each maintainer script', async () => {
    const { debs, calls } = await realDebs({ suite: 'bookworm', arch: 'amd64', variant: 'buildd' });
    const stubs = new Map<string, string>();
    const stubbed = await stubDebs('bookworm-amd64-buildd', debs, RECORDING_STUB);
    debs.forEach((d, i) => stubs.set(basename(d), stubbed[i]!));
    stubs.set('usr-is-merged.deb', await mergedUsrDummy());
    // apt's --recursive directory holds numbered links, `NN-FILE.deb`.
    const debFor = (link: string) => {
      const name = link.replace(/^[0-9]+-/, '');
      return stubs.get(link) ?? stubs.get(name) ?? stubs.get(decodeURIComponent(name));
    };

    const dpkgRoot = join(scratch, 'dpkg');
    const ourRoot = join(scratch, 'crossroot');
    await makeSkeleton(dpkgRoot, 'amd64');
    await makeSkeleton(ourRoot, 'amd64');
    const dpkgLog = join(scratch, 'dpkg.log');
    const ourLog = join(scratch, 'crossroot.log');
    const db = await DpkgDatabase.open(ourRoot, { nativeArch: 'amd64' });
    const runScript = hostScriptRunner(db, { SNAPLOG: ourLog });

    for (const call of calls) {
      const files = call.debs.map((n) => {
        const f = debFor(n);
        if (f === undefined) throw new Error(`no .deb for ${n}`);
        return f;
      });
      const args = [...dpkgOptions(call), ...(call.action === 'configure' && !call.pending ? call.packages : []), ...files];
      const r = await runDpkg(dpkgRoot, args, { SNAPLOG: dpkgLog });
      expect(r.code, `dpkg ${args.join(' ')}: ${r.stderr}`).toBe(0);

      await db.beginRun({ noTriggers: call.args.includes('--no-triggers') });
      for (const f of files) {
        const input = await readDebInput(f);
        await db.unpack(input, { runScript, extract: () => input.entries });
      }
      await replayEvents(db, processingEvents(r.statusFd), runScript);
      await db.endRun();

      const admin = join(dpkgRoot, 'var/lib/dpkg');
      const owned = await packageOwnedAdminPaths(admin);
      const isOwned = (p: string) => [...owned].some((o) => p === o || p.startsWith(`${o}/`));
      const diffs = diffTrees(await readTree(admin), await readTree(join(ourRoot, 'var/lib/dpkg')), isOwned);
      expect(diffs, `after dpkg ${dpkgOptions(call).join(' ')} (${call.packages.length} packages)`).toEqual([]);
    }
    const expected = await readFile(dpkgLog, 'utf8');
    expect(expected).toContain('triggered ldconfig');
    expect(await readFile(ourLog, 'utf8')).toEqual(expected);
  }, 1_200_000);
});
