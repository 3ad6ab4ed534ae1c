// Stale temporaries are judged by their owner: gone, or its pid now another process's, and
// they are removed; alive, another user's or another pid namespace's, and they are kept.
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STALE_PARTIAL, STALE_TEMPORARY_OUTPUT, STALE_WORK_DIRECTORY, ownerAlive, ownerTag, removeStale } from '../../src/host/stale.js';
import { removeStaleWork } from '../../src/pipeline/stale-work.js';

let work = '';
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'crossroot-stale-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const [pid, start, ns] = ownerTag().split('.');
/** The pid of a process that has exited. */
const deadPid = () => spawnSync('true').pid!;

describe('owner tags', () => {
  it("this process's tag is alive: its own work files are never taken for stale", () => {
    expect(ownerTag()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(ownerAlive(ownerTag())).toBe(true);
  });
  it('a pid reused by another process (same pid, other start time) is not the owner', () => {
    expect(ownerAlive(`${pid}.${Number(start) + 1}.${ns}`)).toBe(false);
  });
  it("an exited process's tag is dead", () => {
    expect(ownerAlive(`${deadPid()}.1.${ns}`)).toBe(false);
  });
  it("another pid namespace's tag is never judged (its pids mean nothing here)", () => {
    expect(ownerAlive(`${deadPid()}.1.${Number(ns) + 1}`)).toBe(true);
  });
  it('a live process other than this one (pid 1, whose start time is read) is alive', () => {
    const init = spawnSync('sh', ['-c', "cut -d' ' -f22 /proc/1/stat"]).stdout.toString().trim();
    expect(ownerAlive(`1.${init}.${ns}`)).toBe(true);
  });
});

describe('removeStale and removeStaleWork', () => {
  it('in TMPDIR: a killed run\'s work directory goes; a live one, an untagged one and a stranger\'s stay', async () => {
    const dir = join(work, 'tmp');
    await mkdir(dir);
    const dead = `crossroot-root-${deadPid()}.1.${ns}-Ab12Cd`;
    const reused = `crossroot-sandbox-${pid}.${Number(start) + 1}.${ns}-Zz99zz`;
    const live = `crossroot-staging-${ownerTag()}-Qq11qq`;
    const old = 'crossroot-root-Xy12ab'; // an older crossroot's: no owner to judge
    const other = `something-${deadPid()}.1.${ns}-Ab12Cd`;
    for (const n of [dead, reused, live, old, other]) await mkdir(join(dir, n, 'sub'), { recursive: true });
    expect(await removeStale(dir, STALE_WORK_DIRECTORY)).toEqual([join(dir, dead), join(dir, reused)].sort());
    expect((await readdir(dir)).sort()).toEqual([live, old, other].sort());
  });

  it("in the cache: a dead run's .partial files and a half-published tools root go, a live run's stay", async () => {
    const cache = join(work, 'cache');
    const sha = 'ab'.repeat(32);
    await mkdir(join(cache, 'sha256', 'ab'), { recursive: true });
    await mkdir(join(cache, 'prepared-v1', 'ab'), { recursive: true });
    await mkdir(join(cache, 'tools-v1', `.${'cd'.repeat(16)}.crossroot-tmp-${deadPid()}.1.${ns}-3`, 'usr'), { recursive: true });
    const files = {
      deadDeb: join(cache, 'sha256', 'ab', `${sha}.partial-${deadPid()}.1.${ns}-1`),
      liveDeb: join(cache, 'sha256', 'ab', `${sha}.partial-${ownerTag()}-1`),
      deadData: join(cache, 'prepared-v1', 'ab', `${sha}.data.tar.zst.partial-${deadPid()}.1.${ns}-2`),
      good: join(cache, 'sha256', 'ab', sha),
    };
    for (const f of Object.values(files)) await writeFile(f, 'x');
    const lines: string[] = [];
    // A TMPDIR of its own: the shared one may hold what other test files' killed runs left.
    const savedTmp = process.env.TMPDIR;
    process.env.TMPDIR = join(work, 'empty-tmp');
    await mkdir(process.env.TMPDIR, { recursive: true });
    const removed = await removeStaleWork({ cacheDir: cache, log: (l) => lines.push(l) }).finally(() => {
      if (savedTmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = savedTmp;
    });
    expect(removed).toHaveLength(3);
    expect(lines).toEqual([expect.stringMatching(/^removed 3 left by killed runs: /)]);
    expect(await readdir(join(cache, 'sha256', 'ab'))).toEqual([sha, `${sha}.partial-${ownerTag()}-1`].sort());
    expect(await readdir(join(cache, 'prepared-v1', 'ab'))).toEqual([]);
    expect(await readdir(join(cache, 'tools-v1'))).toEqual([]);
  });

  it('beside TARGET: a dead run\'s temporary output goes, the previous TARGET stays', async () => {
    const dir = join(work, 'out');
    await mkdir(dir);
    await writeFile(join(dir, 'root.tar'), 'previous');
    await writeFile(join(dir, `.root.tar.crossroot-tmp-${deadPid()}.1.${ns}-1`), 'half');
    expect(await removeStale(dir, STALE_TEMPORARY_OUTPUT)).toHaveLength(1);
    expect(await readdir(dir)).toEqual(['root.tar']);
    expect(STALE_PARTIAL.test(`x.partial-${ownerTag()}-1`)).toBe(true);
  });
});
