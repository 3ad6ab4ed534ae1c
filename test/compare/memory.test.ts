// Streaming: two ~450 MB tarballs compared with the crossroot process's peak RSS under 150 MB (GNU time's %M).
import { statSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, run, runBuffer } from '../support/cli.js';
import { pokeByte, removeDir, seeded, setMtimes, tarArgs, tarTree, workDir } from './trees.js';

const MB = 1024 * 1024;
const LIMIT_KB = 150 * 1024;
let work = '';

/** 20 files of 20 MB and 500 of 100 KB (≈ 450 MB), seeded; b hardlinks a's files except where it differs. */
beforeAll(async () => {
  work = await workDir('memory');
  const a = join(work, 'a');
  const b = join(work, 'b');
  let seed = 100;
  for (let i = 0; i < 20; i++) {
    await mkdir(join(a, 'big'), { recursive: true });
    await writeFile(join(a, 'big', `f${String(i).padStart(2, '0')}.bin`), seeded(20 * MB, seed++));
  }
  for (let d = 0; d < 10; d++) {
    await mkdir(join(a, `small/d${d}`), { recursive: true });
    for (let i = 0; i < 50; i++) await writeFile(join(a, `small/d${d}/f${i}.bin`), seeded(100 * 1024, seed++));
  }
  await runBuffer('cp', ['-al', a, b]);
  // b: one byte changed deep inside a big file (a fresh copy, not the shared inode), one file gone, one new
  const big = join(b, 'big/f10.bin');
  const data = await readFile(big);
  await rm(big);
  await writeFile(big, data);
  await pokeByte(big, 12_345_678, data[12_345_678]! ^ 0xff);
  await rm(join(b, 'small/d3/f7.bin'));
  await writeFile(join(b, 'small/new'), 'new\n');
  await setMtimes(a);
  await setMtimes(b);
  await tarTree(a, join(work, 'a.tar'));
  await tarTree(b, join(work, 'b.tar'));
  // a again, members in reverse order: the unsorted path (index + second pass) must stay flat too
  const names = (await runBuffer('tar', ['-tf', join(work, 'a.tar')])).toString().trimEnd().split('\n').reverse();
  await writeFile(join(work, 'reversed.list'), names.join('\n') + '\n');
  await runBuffer('tar', [...tarArgs(a, join(work, 'a-unsorted.tar')).slice(0, -1), '--no-recursion', '-T', join(work, 'reversed.list')]);
  await rm(a, { recursive: true });
  await rm(b, { recursive: true });
}, 300_000);
afterAll(() => removeDir(work));

/** Runs crossroot compare --json under GNU time; returns the report, exit code, peak RSS in KiB. */
async function measured(a: string, b: string) {
  const started = Date.now();
  const r = await run('/usr/bin/time', ['-f', '%M', process.execPath, CLI, 'compare', '--json', join(work, a), join(work, b)]);
  const seconds = (Date.now() - started) / 1000;
  const peakKb = Number(r.stderr.trim().split('\n').pop());
  const size = (statSync(join(work, a)).size / MB) | 0;
  console.log(`compare ${a} ${b} (${size} MB each): peak RSS ${(peakKb / 1024).toFixed(1)} MB, ${seconds.toFixed(1)} s`);
  expect(r.code, r.stderr).toBe(1);
  return { report: JSON.parse(r.stdout), peakKb };
}

const EXPECTED = [
  ['/big/f10.bin', 'content'],
  ['/small/d3/f7.bin', 'missing-in-b'],
  ['/small/new', 'missing-in-a'],
];

describe('memory', () => {
  for (const [name, a, sorted] of [
    ['sorted inputs (merge)', 'a.tar', true],
    ['unsorted input (index and second pass)', 'a-unsorted.tar', false],
  ] as const) {
    it(`stays flat comparing two ~450 MB tarballs: ${name}`, async () => {
      const { report, peakKb } = await measured(a, 'b.tar');
      expect(peakKb).toBeGreaterThan(10 * 1024); // a real measurement
      expect(peakKb).toBeLessThan(LIMIT_KB);
      expect(report.a).toMatchObject({ members: 533, sorted });
      expect(report.differences.map((d: { member: string; kind: string }) => [d.member, d.kind])).toEqual(EXPECTED);
      expect(report.differences[0]).toMatchObject({ offset: 12_345_678, binary: true, diff: null });
    });
  }
});
