// A build never touches the host: a hostile postinst and hostile members each stop it with exit 3.
import { access, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
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

// Every build here reads a small synthetic archive, which makes no tools root of its own: they
// run with --tools-root host (the scripts still run in the sandbox with `/` read-only).
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
    const r = await crossroot(['build', '--tools-root', 'host', '--arch', 'amd64', '--variant', 'essential', '--cache-dir', join(work, 'cache'), 'bookworm', target, repo]);
    const after = hostFingerprint();
    expectExit3(r, 'postinst configure of escape failed');
    expect(await exists('/etc/crossroot-escape')).toBe(false);
    expect(await exists('/usr/local/escape')).toBe(false);
    expect(fingerprintChanges(before, after)).toEqual([]);
    expect(await exists(target)).toBe(false);
  }, 300_000);

  // crossroot's own writes into the root (apt's state, policy-rc.d) come after packages have
  // shipped what they like there: they go through the root guard too, never through a symlink.
  for (const [name, member, include] of [
    ['var/lib/apt/extended_states', './var/lib/apt/extended_states', true],
    ['usr/sbin/policy-rc.d', './usr/sbin/policy-rc.d', false],
  ] as const) {
    it(`a package shipping ${name} as a symlink to a host path: exit 3 naming it, the host file is not created, no TARGET`, async () => {
      const dir = join(work, `own-write-${name.replaceAll('/', '-')}`);
      const outside = join(dir, 'outside');
      await mkdir(join(dir, 'repo'), { recursive: true });
      await mkdir(outside, { recursive: true });
      const parents = member.split('/').slice(1, -1).map((_, i, a) => ({ name: `./${a.slice(0, i + 1).join('/')}/`, type: 'dir' }));
      const spec = JSON.stringify([...parents, { name: member, type: 'symlink', link: join(outside, 'host-file') }]);
      // extended_states is written after an apt run: the package comes with --include (the
      // second run); policy-rc.d before the essential set's scripts: an essential package.
      await runBuffer('python3', [EVIL, join(dir, 'repo', 'attack_1_all.deb'), spec, 'attack', include ? '' : 'Essential: yes\n']);
      const repo = await makeFlatRepo(join(dir, 'repo'), [{ name: 'base', version: '1', fields: { Essential: 'yes', Priority: 'required' }, files: { 'usr/share/base': 'x' } }]);
      const target = join(dir, 'out.tar');
      const r = await crossroot(['build', '--tools-root', 'host', '--arch', 'amd64', '--variant', 'essential', ...(include ? ['--include', 'attack'] : []), '--cache-dir', join(dir, 'cache'), 'bookworm', target, repo]);
      expectExit3(r, name);
      expect(await readdir(outside)).toEqual([]);
      expect(await exists(target)).toBe(false);
    }, 300_000);
  }

  it('a postinst that turns usr/sbin into a symlink to a host directory: removing policy-rc.d at the end leaves the host file alone', async () => {
    const dir = join(work, 'policy-rc.d-removal');
    const outside = join(dir, 'outside');
    await mkdir(outside, { recursive: true });
    await writeFile(join(outside, 'policy-rc.d'), 'host file\n');
    const repo = await makeFlatRepo(join(dir, 'repo'), [
      {
        name: 'redirect',
        version: '1',
        fields: { Essential: 'yes', Priority: 'required' },
        // Allowed: it only changes the root. Inside the root, /OUTSIDE is the root's own path.
        control: { postinst: `#!/bin/sh\nset -e\nrm -rf "$DPKG_ROOT/usr/sbin"\nln -s ${outside} "$DPKG_ROOT/usr/sbin"\n` },
      },
    ]);
    const target = join(dir, 'out.tar');
    const r = await crossroot(['build', '--tools-root', 'host', '--arch', 'amd64', '--variant', 'essential', '--cache-dir', join(dir, 'cache'), 'bookworm', target, repo]);
    expect(r.code, r.stderr).toBe(0);
    expect(await readFile(join(outside, 'policy-rc.d'), 'utf8')).toBe('host file\n');
  }, 300_000);

  it('a postinst that turns var/lib/dpkg/updates into a symlink to a host directory: the dpkg database writes nothing there and removes nothing (exit 3 naming it)', async () => {
    const dir = join(work, 'admindir-redirect');
    const outside = join(dir, 'outside');
    await mkdir(outside, { recursive: true });
    // Host files with the names dpkg's journal uses.
    const names = ['0000', '0001', '0002', '0003', '0004', '0005', 'tmp.i'];
    for (const n of names) await writeFile(join(outside, n), 'host file\n');
    const repo = await makeFlatRepo(join(dir, 'repo'), [
      {
        name: 'redirect',
        version: '1',
        fields: { Essential: 'yes', Priority: 'required' },
        control: { postinst: `#!/bin/sh\nset -e\nrm -rf "$DPKG_ROOT/var/lib/dpkg/updates"\nln -s ${outside} "$DPKG_ROOT/var/lib/dpkg/updates"\n` },
      },
      // Configured after redirect: its status changes are journalled once updates/ is the symlink.
      { name: 'zafter', version: '1', fields: { Essential: 'yes', Priority: 'required', Depends: 'redirect' }, control: { postinst: '#!/bin/sh\nexit 0\n' } },
    ]);
    const target = join(dir, 'out.tar');
    const r = await crossroot(['build', '--tools-root', 'host', '--arch', 'amd64', '--variant', 'essential', '--cache-dir', join(dir, 'cache'), 'bookworm', target, repo]);
    expect((await readdir(outside)).sort()).toEqual(names);
    for (const n of names) expect(await readFile(join(outside, n), 'utf8')).toBe('host file\n');
    expectExit3(r, 'var/lib/dpkg/updates');
    expect(await exists(target)).toBe(false);
  }, 300_000);

  // Each attack's `..` and absolute member resolves against where crossroot writes it: the
  // work root in TMPDIR ($TMPDIR/crossroot-root-XXX), so the build gets a TMPDIR of its own two
  // levels below `dir`, and `./../../outside/pwned` from the root would land in `dir/outside`.
  for (const [name, members] of [
    ['dot-dot', [{ name: './../../outside/pwned', type: 'file', data: 'x' }]],
    ['absolute', [{ name: '/OUTSIDE/pwned', type: 'file', data: 'x' }]],
    ['symlink-write', [{ name: './escape', type: 'symlink', link: '../../../../../../OUTSIDE' }, { name: './escape/pwned', type: 'file', data: 'x' }]],
    ['hardlink', [{ name: './h', type: 'hardlink', link: '../../../../../../OUTSIDE/target' }]],
  ] as const) {
    it(`a package with a ${name} member: exit 3, nothing outside the target, no TARGET`, async () => {
      const dir = join(work, `attack-${name}`);
      const outside = join(dir, 'outside');
      const tmp = join(dir, 'tmp');
      await mkdir(join(dir, 'repo'), { recursive: true });
      await mkdir(outside, { recursive: true });
      await mkdir(tmp, { recursive: true });
      const spec = JSON.stringify(members).replaceAll('/OUTSIDE', outside);
      await runBuffer('python3', [EVIL, join(dir, 'repo', 'attack_1_all.deb'), spec, 'attack', 'Essential: yes\n']);
      const repo = await makeFlatRepo(join(dir, 'repo'), []);
      const target = join(dir, 'out.tar');
      const r = await crossroot(['build', '--tools-root', 'host', '--arch', 'amd64', '--variant', 'essential', '--cache-dir', join(dir, 'cache'), 'bookworm', target, repo], {
        env: { ...process.env, TMPDIR: tmp },
      });
      // Where the member would have landed, had it been written: the root is a directory of TMPDIR.
      if (name === 'dot-dot') expect(resolve(tmp, 'crossroot-root-x', '../../outside/pwned')).toBe(join(outside, 'pwned'));
      expect(await readdir(outside)).toEqual([]);
      // Nor anywhere else crossroot writes (TMPDIR, the cache, beside TARGET): no file named pwned.
      expect((await readdir(dir, { recursive: true })).filter((p) => p.split('/').includes('pwned'))).toEqual([]);
      expectExit3(r, 'attack_1_all.deb');
      expect(await readdir(tmp)).toEqual([]);
      expect(await exists(target)).toBe(false);
    }, 300_000);
  }
});
