// `crossroot build` needs no emulation: sid's loong64 buildd root is built while binfmt_misc's
// qemu-loongarch64 entry is switched off (so no loong64 binary can run on this machine), and
// what it wrote is a configured loong64 root, as GNU tar and dpkg-query read it.
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { crossroot, REPO_ROOT, run } from '../support/cli.js';
import { withoutEmulation } from '../support/emulation.js';
import { suiteMirrorLines } from '../support/suite-oracle.js';

const CACHE = join(REPO_ROOT, '.cache', 'archive');
const ENTRY = '/proc/sys/fs/binfmt_misc/qemu-loongarch64';
const work = await mkdtemp(join(tmpdir(), 'crossroot-build-loong64-'));
afterAll(() => rm(work, { recursive: true, force: true }));

it('crossroot build --arch loong64 --variant buildd sid completes with binfmt for loongarch64 switched off', { timeout: 3_600_000 }, async () => {
  const out = join(work, 'buildd-loong64.tar');
  const [line] = await suiteMirrorLines('sid');
  const r = await withoutEmulation('loong64', async () => {
    // Off (or never registered): nothing here can run a loong64 binary during the build.
    const state = (await readFile(ENTRY, 'utf8').catch(() => 'absent')).split('\n')[0];
    expect(state).not.toBe('enabled');
    return crossroot(['build', '--cache-dir', CACHE, '--arch', 'loong64', '--variant', 'buildd', 'sid', out, line!], {
      env: { ...process.env, SOURCE_DATE_EPOCH: '1700000000' },
    });
  });
  expect(r.code, r.stderr).toBe(0);
  const admin = join(work, 'admin');
  await mkdir(admin);
  const x = await run('tar', ['-xf', out, '-C', admin, '--strip-components=4', './var/lib/dpkg/status']);
  expect(x.code, x.stderr).toBe(0);
  await mkdir(join(admin, 'info'), { recursive: true });
  await mkdir(join(admin, 'updates'), { recursive: true });
  const q = await run('dpkg-query', [`--admindir=${admin}`, '-W', '-f', '${Package} ${Architecture} ${db:Status-Abbrev}\n']);
  expect(q.code, q.stderr).toBe(0);
  const rows = q.stdout.replace(/\n$/, '').split('\n'); // each row ends in a space (the abbreviation's error column)
  // Every package of the tarball's status installed and configured, loong64's or all; the set
  // is buildd's (build-essential, the compiler for loong64, the essential set).
  expect(rows.filter((l) => !/ (loong64|all) ii $/.test(l))).toEqual([]);
  for (const p of ['build-essential', 'gcc', 'libc6', 'dpkg', 'apt']) expect(rows).toContain(`${p} loong64 ii `);
});
