// --include of a missing package or of one with an unsatisfiable dependency: exit 3 naming the chain.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crossroot, REPO_ROOT } from '../support/cli.js';
import { hostMirrorLines } from '../support/real-debs.js';
import { makeFlatRepo } from '../support/synthetic-repo.js';

let work = '';
let repo = '';
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'crossroot-include-'));
  repo = await makeFlatRepo(join(work, 'repo'), [
    { name: 'top', version: '1.0', fields: { Depends: 'mid (>= 2)' } },
    { name: 'mid', version: '2.1', fields: { Depends: 'base-lib, leaf (>= 3) | leaf-alt' } },
    { name: 'base-lib', version: '1' },
    { name: 'leaf', version: '2.9' },
    { name: 'fine', version: '1', fields: { Depends: 'leaf (>= 2) | nothing' } },
  ]);
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

function resolve(...include: string[]) {
  return crossroot(['resolve', '--arch', 'amd64', '--cache-dir', join(work, 'cache'), ...include.flatMap((i) => ['--include', i]), 'bookworm', repo]);
}

describe('--include errors', () => {
  it('a package that does not exist: exit 3 naming it', async () => {
    const r = await resolve('no-such-package');
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr.trim()).toMatch(/^crossroot: .*no-such-package.*does not exist/);
  });

  it('an unsatisfiable dependency: exit 3 naming the chain', async () => {
    const r = await resolve('top');
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain('top -> mid (>= 2) -> leaf (>= 3) | leaf-alt');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a satisfiable one resolves, with --why naming the chain', async () => {
    const r = await resolve('fine');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('leaf 2.9 all');
    const why = await crossroot(['resolve', '--arch', 'amd64', '--cache-dir', join(work, 'cache'), '--include', 'fine', '--why', 'leaf', 'bookworm', repo]);
    expect(why.stdout.trim()).toBe('leaf: fine -> leaf (>= 2)');
  });

  it('the real archive: an --include of a missing name is exit 3', async () => {
    const r = await crossroot(['resolve', '--arch', 'amd64', '--cache-dir', join(REPO_ROOT, '.cache', 'archive'), '--include', 'crossroot-no-such-package', 'bookworm', ...(await hostMirrorLines('bookworm'))]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain('crossroot-no-such-package');
  });
});
