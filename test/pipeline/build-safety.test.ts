// A build never touches the host: a hostile postinst and hostile members each stop it with exit 3.
import { access, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crossroot, runBuffer } from '../support/cli.js';
import { fingerprintChanges, hostFingerprint } from '../support/sandbox-host-state.js';
import { makeFlatRepo } from '../support/synthetic-repo.js';

const EVIL = fileURLToPath(new URL('../support/evil-deb.py', import.meta.url));
let work = '';
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'crossroot-safety-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function exists(p: string): Promise<boolean> {
  return access(p).then(
    () => true,
    () => false,
  );
}

function expectExit3(r: { code: number; stderr: string }, ...names: string[]) {
  expect(r.code, r.stderr).toBe(3);
  for (const n of names) expect(r.stderr).toContain(n);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe('the host is sacred', () => {
  it('a postinst writing to /etc and /usr/local fails the build (exit 3, naming the script); the host is unchanged', async () => {
    const repo = await makeFlatRepo(join(work, 'escape-repo'), [
      {
        name: 'escape',
        version: '1',
        fields: { Essential: 'yes', Priority: 'required' },
        control: { postinst: '#!/bin/sh\nset -e\necho pwned > /etc/crossroot-escape\necho pwned > /usr/local/escape\n' },
      },
    ]);
    const target = join(work, 'escape.tar');
    const before = hostFingerprint();
    // The host's tools as `/` (a one-package archive makes no tools root): the scripts still
    // run in the sandbox with `/` read-only.
    const r = await crossroot(['build', '--tools-root', 'host', '--arch', 'amd64', '--variant', 'essential', '--cache-dir', join(work, 'cache'), 'bookworm', target, repo]);
    const after = hostFingerprint();
    expectExit3(r, 'postinst configure of escape failed');
    expect(await exists('/etc/crossroot-escape')).toBe(false);
    expect(await exists('/usr/local/escape')).toBe(false);
    expect(fingerprintChanges(before, after)).toEqual([]);
    expect(await exists(target)).toBe(false);
  }, 300_000);

  for (const [name, members] of [
    ['dot-dot', [{ name: './../../outside/pwned', type: 'file', data: 'x' }]],
    ['absolute', [{ name: '/OUTSIDE/pwned', type: 'file', data: 'x' }]],
    ['symlink-write', [{ name: './escape', type: 'symlink', link: '../../../../../../OUTSIDE' }, { name: './escape/pwned', type: 'file', data: 'x' }]],
    ['hardlink', [{ name: './h', type: 'hardlink', link: '../../../../../../OUTSIDE/target' }]],
  ] as const) {
    it(`a package with a ${name} member: exit 3, nothing outside the target, no TARGET`, async () => {
      const dir = join(work, `attack-${name}`);
      const outside = join(dir, 'outside');
      await mkdir(join(dir, 'repo'), { recursive: true });
      await mkdir(outside, { recursive: true });
      const spec = JSON.stringify(members).replaceAll('/OUTSIDE', outside);
      await runBuffer('python3', [EVIL, join(dir, 'repo', 'attack_1_all.deb'), spec, 'attack', 'Essential: yes\n']);
      const repo = await makeFlatRepo(join(dir, 'repo'), []);
      const target = join(dir, 'out.tar');
      const r = await crossroot(['build', '--arch', 'amd64', '--variant', 'essential', '--cache-dir', join(dir, 'cache'), 'bookworm', target, repo]);
      expectExit3(r, 'attack_1_all.deb');
      expect(await readdir(outside)).toEqual([]);
      expect(await exists(target)).toBe(false);
    }, 300_000);
  }
});
