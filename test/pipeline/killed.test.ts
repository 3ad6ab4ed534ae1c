// A build killed with SIGKILL runs no handler and leaves its work files: the next ordinary run
// finds them (owner gone: host/stale.ts), removes them, and succeeds; afterwards TMPDIR and the
// cache hold nothing stale. One kill per stage: download, prepare, unpack, scripts, tarball.
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBuffer } from '../support/cli.js';
import { STALE, startCrossroot, startStallingMirror, tree, type StallingMirror } from '../support/interrupted-run.js';
import { mirrorArgument } from '../support/mmdebstrap-oracle.js';

let work = '';
let mirror: StallingMirror;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'crossroot-killed-'));
  mirror = await startStallingMirror(await mirrorArgument());
}, 120_000);
afterAll(async () => {
  mirror?.close();
  await rm(work, { recursive: true, force: true });
});

interface Case {
  stage: string;
  /** Which caches to start from (hard links of the first case's, once it has run). */
  seed: ('sha256' | 'prepared-v1')[];
  /** The log line that says the stage has begun. */
  when: RegExp;
  /** What must be on disk before the kill: the stage's own leftovers. */
  left: (s: { tmp: string[]; cache: string[]; out: string[] }) => boolean;
}

const CASES: Case[] = [
  { stage: 'download', seed: [], when: /downloading \d+ packages/, left: (s) => s.cache.some((n) => /^sha256\/..\/[0-9a-f]{64}\.partial-/.test(n)) },
  { stage: 'prepare', seed: ['sha256'], when: /preparing \d+ packages/, left: (s) => s.cache.some((n) => n.startsWith('prepared-v1/') && n.includes('.partial-')) },
  { stage: 'unpack', seed: ['sha256', 'prepared-v1'], when: /unpacking \d+ packages/, left: (s) => s.tmp.some((n) => /^crossroot-root-/.test(n)) && s.tmp.some((n) => /^crossroot-staging-/.test(n)) },
  { stage: 'scripts', seed: ['sha256', 'prepared-v1'], when: /installing the essential set/, left: (s) => s.tmp.some((n) => /^crossroot-sandbox-/.test(n)) },
  { stage: 'tarball', seed: ['sha256', 'prepared-v1'], when: /writing .*root\.tar/, left: (s) => s.out.some((n) => /^\.root\.tar\.crossroot-tmp-/.test(n)) },
];

function build(scratch: string, cache: string, out: string, onLine?: (stderr: string) => void) {
  return startCrossroot(['build', '--tools-root', 'host', '--cache-dir', cache, 'bookworm', join(out, 'root.tar'), mirror.lines], { TMPDIR: scratch, SOURCE_DATE_EPOCH: '1700000000' }, onLine);
}

describe('a build killed with SIGKILL, then run again', () => {
  let first = '';
  for (const c of CASES) {
    it(`SIGKILL during ${c.stage}: the rerun removes what it left, succeeds, and leaves TMPDIR and the cache clean`, async () => {
      const scratch = join(work, `${c.stage}-tmp`);
      const cache = join(work, `${c.stage}-cache`);
      const out = join(work, `${c.stage}-out`);
      await Promise.all([mkdir(scratch), mkdir(out), mkdir(cache)]);
      for (const s of c.seed) await runBuffer('cp', ['-al', join(first, s), join(cache, s)]);
      if (first === '') first = cache;
      const state = async () => ({ tmp: await readdir(scratch), cache: await tree(cache), out: await readdir(out) });

      mirror.stall = c.stage === 'download';
      let begun = false;
      const killed = build(scratch, cache, out, (stderr) => void (begun ||= c.when.test(stderr)));
      // Kill once the stage has left its own files, so the kill is known to land inside it.
      let seen = false;
      for (let i = 0; i < 6000 && !seen; i++) {
        await new Promise((r) => setTimeout(r, 10));
        if (begun) seen = c.left(await state());
        if (killed.child.exitCode !== null) break;
      }
      killed.child.kill('SIGKILL');
      const k = await killed.done;
      mirror.stall = false;
      expect(seen, `${c.stage} left nothing to find before the kill:\n${k.stderr}`).toBe(true);
      expect(k.signal).toBe('SIGKILL');
      const leftover = await state();
      expect(c.left(leftover)).toBe(true);

      const r = await build(scratch, cache, out).done;
      expect(r.code, r.stderr).toBe(0);
      const after = await state();
      expect(after.tmp).toEqual([]);
      expect(after.out).toEqual(['root.tar']);
      expect(after.cache.filter((n) => STALE.test(n))).toEqual([]);
      expect(r.stderr).toMatch(/removed \d+ left by killed runs: /);
    }, 600_000);
  }
});
