// The tools root: a failure to build it is exit 3 naming the package and the step, and neither a
// failed nor an interrupted one leaves anything in the cache a later build would trust.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, crossroot, REPO_ROOT, run } from '../support/cli.js';
import { mirrorArgument } from '../support/mmdebstrap-oracle.js';
import { makeFlatRepo } from '../support/synthetic-repo.js';

let work = '';
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'crossroot-tools-root-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** What a cache directory holds under tools-v1/ (nothing when it does not exist). */
async function toolsEntries(cache: string): Promise<string[]> {
  return readdir(join(cache, 'tools-v1')).catch(() => []);
}

describe('the tools root', () => {
  it('a TMPDIR the tools root lacks (under /var/tmp): the build works and gives the bytes of one in /tmp', async () => {
    // bwrap needs a mount point for the root inside the tools root's read-only /var: the
    // sandbox splices one (before, bench.sh's TMPDIR failed: "Can't mkdir parents ...").
    const cache = join(REPO_ROOT, '.cache', 'archive');
    const mirror = await mirrorArgument();
    const varTmp = await mkdtemp('/var/tmp/crossroot-tools-root-test-');
    try {
      const outs: string[] = [];
      for (const [name, tmp] of [['var', varTmp], ['tmp', work]] as const) {
        const out = join(work, `tmpdir-${name}.tar`);
        const r = await crossroot(['build', '--cache-dir', cache, 'bookworm', out, mirror], { env: { ...process.env, TMPDIR: tmp, SOURCE_DATE_EPOCH: '1700000000' } });
        expect(r.code, r.stderr.split('\n').slice(-10).join('\n')).toBe(0);
        outs.push(out);
      }
      expect((await run('cmp', outs)).code).toBe(0);
      expect(await readdir(varTmp)).toEqual([]);
    } finally {
      await rm(varTmp, { recursive: true, force: true });
    }
  }, 600_000);


  it('a package whose postinst fails in the tools root: exit 3 naming the tools root, the package and the step; nothing cached, TMPDIR empty', async () => {
    const repo = await makeFlatRepo(join(work, 'broken-repo'), [
      { name: 'broken', version: '1', fields: { Priority: 'optional' }, control: { postinst: '#!/bin/sh\necho broken on purpose >&2\nexit 1\n' } },
    ]);
    const scratch = join(work, 'broken-tmp');
    await mkdir(scratch);
    const cache = join(work, 'broken-cache');
    const target = join(work, 'broken.tar');
    const r = await crossroot(['build', '--cache-dir', cache, '--include', 'broken', 'bookworm', target, await mirrorArgument(), repo], {
      env: { ...process.env, TMPDIR: scratch, SOURCE_DATE_EPOCH: '1700000000' },
    });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain('building the tools root');
    expect(r.stderr).toMatch(/broken/);
    expect(r.stderr).toMatch(/post-installation script|postinst/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(await toolsEntries(cache)).toEqual([]);
    expect(await readdir(scratch)).toEqual([]);
    expect(await readdir(work)).not.toContain('broken.tar');
  }, 600_000);

  it('SIGINT while the tools root is built: exit 130, nothing in tools-v1 or TMPDIR; the next build makes it and succeeds', async () => {
    const scratch = join(work, 'int-tmp');
    await mkdir(scratch);
    const cache = join(work, 'int-cache');
    const target = join(work, 'int.tar');
    const mirror = await mirrorArgument();
    const env = { ...process.env, TMPDIR: scratch, SOURCE_DATE_EPOCH: '1700000000' };
    const child = spawn(process.execPath, [CLI, 'build', '--cache-dir', cache, 'bookworm', target, mirror], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let sent = false;
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      if (!sent && /tools root: installing the essential set/.test(stderr)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(sent, stderr).toBe(true);
    expect(code, stderr).toBe(128 + constants.signals.SIGINT);
    expect(await toolsEntries(cache)).toEqual([]);
    expect(await readdir(scratch)).toEqual([]);

    const again = await crossroot(['build', '--cache-dir', cache, 'bookworm', target, mirror], { env });
    expect(again.code, again.stderr.split('\n').slice(-10).join('\n')).toBe(0);
    expect(again.stderr).toContain('building the tools root');
    expect(await toolsEntries(cache)).toHaveLength(1);
    expect(await readdir(scratch)).toEqual([]);
    // And the one after reuses it.
    const third = await crossroot(['build', '--cache-dir', cache, 'bookworm', join(work, 'third.tar'), mirror], { env });
    expect(third.code, third.stderr.split('\n').slice(-10).join('\n')).toBe(0);
    expect(third.stderr).toContain('reusing the tools root');
  }, 900_000);
});
