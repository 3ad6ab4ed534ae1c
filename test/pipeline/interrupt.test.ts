// An interrupted build leaves nothing behind: no TARGET, no temporary output beside it, and no
// work directory in TMPDIR; it exits with 128 + the signal's number, as a shell reports it.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, REPO_ROOT } from '../support/cli.js';
import { mirrorArgument } from '../support/mmdebstrap-oracle.js';

const CACHE = join(REPO_ROOT, '.cache', 'archive');
let work = '';

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'crossroot-interrupt-'));
});
afterAll(async () => {
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
  const child = spawn(process.execPath, [CLI, 'build', '--cache-dir', CACHE, 'bookworm', join(out, 'root.tar'), await mirrorArgument()], {
    env: { ...process.env, TMPDIR: scratch, SOURCE_DATE_EPOCH: '1700000000' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  let sent = false;
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
    if (!sent && when.test(stderr)) {
      sent = true;
      child.kill(signal);
    }
  });
  const [code, killedBy] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])));
  return { code, killedBy, sent, stderr, scratch: await readdir(scratch), out: await readdir(out) };
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
