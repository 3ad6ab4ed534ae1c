// An interrupted run leaves nothing behind and loses nothing: no new TARGET and the previous one
// as it was, no temporary output beside it, no work directory in TMPDIR, nothing partial in the
// cache; it exits with 128 + the signal's number, as a shell reports it (README: SIGINT, SIGTERM,
// SIGHUP), and the same command run again succeeds. For build, reference, verify and download.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runBuffer } from '../support/cli.js';
import { interruptedRun, STALE, startCrossroot, startStallingMirror, tree, type StallingMirror } from '../support/interrupted-run.js';
import { mirrorArgument } from '../support/mmdebstrap-oracle.js';

const CACHE = join(REPO_ROOT, '.cache', 'archive');
const SDE = { SOURCE_DATE_EPOCH: '1700000000' };
let work = '';
let mirror: StallingMirror;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'crossroot-interrupt-'));
  mirror = await startStallingMirror(await mirrorArgument());
}, 120_000);
afterAll(async () => {
  mirror?.close();
  await rm(work, { recursive: true, force: true });
});

/**
 * Starts `crossroot build` of bookworm amd64 essential into `name`, sends `signal` when a log
 * line matches `when`, and resolves with its exit code (or the signal that killed it) and stderr.
 */
async function interruptedBuild(name: string, when: RegExp, signal: NodeJS.Signals) {
  const scratch = join(work, `${name}-tmp`);
  const out = join(work, `${name}-out`);
  await mkdir(scratch);
  await mkdir(out);
  const r = await interruptedRun(['build', '--cache-dir', CACHE, 'bookworm', join(out, 'root.tar'), await mirrorArgument()], { TMPDIR: scratch, ...SDE }, when, signal);
  return { ...r, scratch: await readdir(scratch), out: await readdir(out) };
}

describe('an interrupted build', () => {
  it('SIGINT while the maintainer scripts run: exit 130, TMPDIR empty, no TARGET', async () => {
    const r = await interruptedBuild('int', /installing the essential set/, 'SIGINT');
    expect(r.sent, r.stderr).toBe(true);
    expect([r.code, r.killedBy], r.stderr).toEqual([128 + constants.signals.SIGINT, null]);
    expect(r.stderr).toContain('SIGINT: removing the work files');
    expect(r.scratch).toEqual([]);
    expect(r.out).toEqual([]);
  }, 600_000);

  it('SIGTERM while the tarball is written: exit 143, no temporary tarball, TMPDIR empty', async () => {
    const r = await interruptedBuild('term', /writing .*root\.tar/, 'SIGTERM');
    expect(r.sent, r.stderr).toBe(true);
    expect([r.code, r.killedBy], r.stderr).toEqual([128 + constants.signals.SIGTERM, null]);
    expect(r.scratch).toEqual([]);
    expect(r.out).toEqual([]);
  }, 600_000);
});

const PREVIOUS = 'the previous TARGET, as the interrupted run found it\n';

/** A case's own TMPDIR, cache (seeded with hard links of the shared cache's .debs) and output directory, the output holding `previous`. */
async function setup(name: string, previous: string[], seed = true) {
  const dir = join(work, name);
  const t = { tmp: join(dir, 'tmp'), cache: join(dir, 'cache'), out: join(dir, 'out') };
  await Promise.all([mkdir(t.tmp, { recursive: true }), mkdir(t.out, { recursive: true }), mkdir(t.cache, { recursive: true })]);
  if (seed && (await readdir(join(CACHE, 'sha256')).catch(() => [])).length > 0) await runBuffer('cp', ['-al', join(CACHE, 'sha256'), join(t.cache, 'sha256')]);
  for (const p of previous) await writeFile(join(t.out, p), PREVIOUS);
  return t;
}

/** After an interruption: the exit code, nothing in TMPDIR, nothing stale in the cache or output, the previous outputs as they were. */
async function expectCleanStop(r: { code: number | null; killedBy: NodeJS.Signals | null; sent: boolean; stderr: string }, signal: NodeJS.Signals, t: { tmp: string; cache: string; out: string }, previous: string[]) {
  expect(r.sent, r.stderr).toBe(true);
  expect([r.code, r.killedBy], r.stderr).toEqual([128 + constants.signals[signal], null]);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(await readdir(t.tmp)).toEqual([]);
  expect((await tree(t.cache)).filter((n) => STALE.test(n))).toEqual([]);
  expect((await tree(t.out)).filter((n) => STALE.test(n))).toEqual([]);
  for (const p of previous) expect(await readFile(join(t.out, p), 'utf8'), p).toBe(PREVIOUS);
}

/** The same command again, uninterrupted: it succeeds and leaves TMPDIR empty and the cache clean. */
async function expectRerunSucceeds(args: string[], t: { tmp: string; cache: string }, codes = [0]) {
  const again = await startCrossroot(args, { TMPDIR: t.tmp, ...SDE }).done;
  expect(codes, again.stderr.split('\n').slice(-15).join('\n')).toContain(again.code);
  expect(await readdir(t.tmp)).toEqual([]);
  expect((await tree(t.cache)).filter((n) => STALE.test(n))).toEqual([]);
}

/** Sends `signal` once `check` holds (polled), or gives up after a minute. */
async function signalWhen(run: ReturnType<typeof startCrossroot>, check: () => Promise<boolean>, signal: NodeJS.Signals) {
  let sent = false;
  for (let i = 0; i < 6000 && run.child.exitCode === null; i++) {
    if (await check()) {
      run.child.kill(signal);
      sent = true;
      break;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  const r = await run.done;
  return { code: r.code, killedBy: r.signal, sent, stderr: r.stderr };
}

describe('interrupted, then run again: the previous TARGET intact, nothing stale, the rerun succeeds', () => {
  it('build, SIGHUP while the maintainer scripts run: exit 129', async () => {
    const t = await setup('hup', ['root.tar']);
    const args = ['build', '--tools-root', 'host', '--cache-dir', t.cache, 'bookworm', join(t.out, 'root.tar'), await mirrorArgument()];
    const r = await interruptedRun(args, { TMPDIR: t.tmp, ...SDE }, /installing the essential set/, 'SIGHUP');
    expect(r.stderr).toContain('SIGHUP: removing the work files');
    await expectCleanStop(r, 'SIGHUP', t, ['root.tar']);
    expect(await readdir(t.out)).toEqual(['root.tar']);
    await expectRerunSucceeds(args, t);
    expect(await readFile(join(t.out, 'root.tar'), 'utf8').then((s) => s.slice(0, PREVIOUS.length))).not.toBe(PREVIOUS);
  }, 600_000);

  it('build, SIGINT while the .debs download (held in flight by the mirror): exit 130, no partial .deb in the cache', async () => {
    const t = await setup('download-build', ['root.tar'], false);
    const args = ['build', '--tools-root', 'host', '--cache-dir', t.cache, 'bookworm', join(t.out, 'root.tar'), mirror.lines];
    mirror.stall = true;
    const run = startCrossroot(args, { TMPDIR: t.tmp, ...SDE });
    const r = await signalWhen(run, async () => (await tree(t.cache)).some((n) => /^sha256\/..\/[0-9a-f]{64}\.partial-/.test(n)), 'SIGINT');
    mirror.stall = false;
    await expectCleanStop(r, 'SIGINT', t, ['root.tar']);
    expect(await readdir(t.out)).toEqual(['root.tar']);
    await expectRerunSucceeds(args, t);
  }, 600_000);

  it('download --lock, SIGTERM while the .debs download: exit 143, no partial .deb in the cache', async () => {
    const t = await setup('download-lock', []);
    const lock = join(t.out, 'bookworm.lock');
    const resolved = await startCrossroot(['resolve', '--cache-dir', t.cache, '--lock', lock, 'bookworm', mirror.lines], { TMPDIR: t.tmp }).done;
    expect(resolved.code, resolved.stderr).toBe(0);
    const cache = join(t.out, 'empty-cache');
    const args = ['download', '--lock', lock, '--cache-dir', cache, mirror.lines];
    mirror.stall = true;
    const run = startCrossroot(args, { TMPDIR: t.tmp });
    const r = await signalWhen(run, async () => (await tree(cache)).some((n) => /\.partial-/.test(n)), 'SIGTERM');
    mirror.stall = false;
    await expectCleanStop(r, 'SIGTERM', { ...t, cache }, []);
    await expectRerunSucceeds(args, { ...t, cache });
    expect((await tree(join(cache, 'sha256'))).filter((n) => n.includes('/')).length).toBeGreaterThan(50);
  }, 600_000);

  it('reference, SIGTERM while dpkg installs inside the root: exit 143', async () => {
    const t = await setup('reference', ['root.tar']);
    const args = ['reference', '--tools-root', 'host', '--cache-dir', t.cache, 'bookworm', join(t.out, 'root.tar'), await mirrorArgument()];
    const r = await interruptedRun(args, { TMPDIR: t.tmp, ...SDE }, /installing the essential set/, 'SIGTERM');
    await expectCleanStop(r, 'SIGTERM', t, ['root.tar']);
    expect(await readdir(t.out)).toEqual(['root.tar']);
    await expectRerunSucceeds(args, t);
  }, 600_000);

  it('verify, SIGINT while the reference root is built: exit 130, the previous reference.tar intact', async () => {
    const t = await setup('verify', ['reference.tar']);
    const args = ['verify', '--tools-root', 'host', '--cache-dir', t.cache, '--report', t.out, 'bookworm', await mirrorArgument()];
    const r = await interruptedRun(args, { TMPDIR: t.tmp, ...SDE }, /building the reference root[\s\S]*installing the essential set/, 'SIGINT');
    await expectCleanStop(r, 'SIGINT', t, ['reference.tar']);
    expect(await readdir(t.out)).not.toContain('report.json');
    // Identical or not, verify completes with its report (exit 0 or 1).
    await expectRerunSucceeds(args, t, [0, 1]);
    expect(await readdir(t.out)).toContain('report.json');
  }, 900_000);
});
