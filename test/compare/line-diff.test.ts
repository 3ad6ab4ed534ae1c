// Unified diffs checked against GNU diff (minimal edit counts, exact hunks) and GNU patch (they apply).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unifiedDiff } from '../../src/compare/line-diff.js';
import { run } from '../support/cli.js';

let work = '';
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'crossroot-diff-'));
});
afterAll(() => rm(work, { recursive: true, force: true }));

let n = 0;
async function files(a: string, b: string): Promise<[string, string]> {
  n++;
  const fa = join(work, `a${n}`);
  const fb = join(work, `b${n}`);
  await writeFile(fa, a);
  await writeFile(fb, b);
  return [fa, fb];
}

/** GNU diff -u, with its file header lines replaced by ours. */
async function gnuDiff(a: string, b: string, minimal: boolean): Promise<string> {
  const [fa, fb] = await files(a, b);
  const r = await run('diff', [...(minimal ? ['--minimal'] : []), '-u', fa, fb]);
  expect(r.code, r.stderr).toBeLessThan(2);
  return r.stdout === '' ? '' : ['--- a/f', '+++ b/f', ...r.stdout.split('\n').slice(2)].join('\n');
}

/** Applies our diff to a with GNU patch; returns the result. */
async function patched(a: string, diff: string): Promise<string> {
  const [fa] = await files(a, '');
  const p = join(work, `p${n}`);
  await writeFile(p, diff);
  const r = await run('patch', ['--silent', '--force', fa, p]);
  expect(r.code, `${r.stdout}${r.stderr}\n${diff}`).toBe(0);
  return (await readFile(fa)).toString();
}

const count = (diff: string, sign: string) => diff.split('\n').filter((l) => l.startsWith(sign) && !l.startsWith(sign.repeat(3) + ' ')).length;

describe('unifiedDiff', () => {
  const cases: [string, string, string][] = [
    ['one line changed', 'a\nb\nc\n', 'a\nB\nc\n'],
    ['insert at start', 'b\nc\n', 'a\nb\nc\n'],
    ['delete at end', 'a\nb\nc\n', 'a\nb\n'],
    ['no newline at end', 'a\nb', 'a\nb\n'],
    ['both without newline', 'x\ny', 'x\nz'],
    ['from empty', '', 'a\nb\n'],
    ['to empty', 'a\nb\n', ''],
    ['two hunks', Array.from({ length: 30 }, (_, i) => `${i}\n`).join(''), Array.from({ length: 30 }, (_, i) => (i === 3 || i === 25 ? 'x\n' : `${i}\n`)).join('')],
    ['changes 6 lines apart share a hunk', Array.from({ length: 20 }, (_, i) => `${i}\n`).join(''), Array.from({ length: 20 }, (_, i) => (i === 3 || i === 10 ? 'x\n' : `${i}\n`)).join('')],
    ['changes 7 lines apart do not', Array.from({ length: 20 }, (_, i) => `${i}\n`).join(''), Array.from({ length: 20 }, (_, i) => (i === 3 || i === 11 ? 'x\n' : `${i}\n`)).join('')],
  ];
  for (const [name, a, b] of cases) {
    it(`${name}: as diff -u writes it`, async () => {
      expect(unifiedDiff(a, b, 'f')).toBe(await gnuDiff(a, b, false));
    });
  }

  it('equal texts give an empty diff', () => {
    expect(unifiedDiff('a\n', 'a\n', 'f')).toBe('');
  });

  it('is minimal (as diff --minimal) and applies with patch, on random texts', async () => {
    const text = fc.array(fc.constantFrom('a\n', 'b\n', 'c\n', 'd\n', 'e'), { maxLength: 40 }).map((l) => l.join(''));
    await fc.assert(
      fc.asyncProperty(text, text, async (a, b) => {
        const ours = unifiedDiff(a, b, 'f', Infinity);
        const gnu = await gnuDiff(a, b, true);
        expect(count(ours, '-')).toBe(count(gnu, '-'));
        expect(count(ours, '+')).toBe(count(gnu, '+'));
        if (ours !== '') expect(await patched(a, ours)).toBe(b);
      }),
      { numRuns: 60, seed: 5 },
    );
  });

  it('past its edit budget it still writes a diff that applies', async () => {
    const a = Array.from({ length: 3000 }, (_, i) => `a${i}\n`).join('');
    const b = Array.from({ length: 3000 }, (_, i) => `b${i}\n`).join('');
    const diff = unifiedDiff(a, b, 'f', Infinity);
    expect(count(diff, '-')).toBe(3000);
    expect(await patched(a, diff)).toBe(b);
  });

  it('is cut after maxLines lines, saying how many were left out', () => {
    const a = Array.from({ length: 500 }, (_, i) => `${i}\n`).join('');
    const b = Array.from({ length: 500 }, (_, i) => (i % 2 === 0 ? `${i}\n` : `x${i}\n`)).join('');
    const lines = unifiedDiff(a, b, 'f').trimEnd().split('\n');
    expect(lines).toHaveLength(201);
    expect(lines[200]).toMatch(/^\[… \d+ more diff lines not shown\]$/);
    const full = unifiedDiff(a, b, 'f', Infinity).trimEnd().split('\n');
    expect(Number(/\d+/.exec(lines[200]!)![0])).toBe(full.length - 200);
  });
});
