// crossroot run: a command inside a built root, a directory (in place or on an overlay) or a
// tarball, qemu-user for a foreign architecture; its exit status; nothing left behind.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crossroot, REPO_ROOT, run, runBuffer } from '../support/cli.js';
import { withEmulation, withoutEmulation } from '../support/emulation.js';
import { mirrorArgument } from '../support/mmdebstrap-oracle.js';

const CACHE = join(REPO_ROOT, '.cache', 'archive');
let work = '';
/** TMPDIR of every crossroot run here: what a session leaves behind shows up in it. */
let scratch = '';
let dir = '';
let tarball = '';

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'crossroot-run-test-'));
  scratch = join(work, 'tmp');
  await mkdir(scratch);
  dir = join(work, 'amd64-root');
  tarball = join(work, 'arm64.tar');
  const env = { ...process.env, SOURCE_DATE_EPOCH: '1700000000' };
  for (const [arch, target] of [['amd64', dir], ['arm64', tarball]]) {
    const r = await crossroot(['build', '--cache-dir', CACHE, '--arch', arch!, 'bookworm', target!, await mirrorArgument()], { env });
    expect(r.code, r.stderr.split('\n').slice(-10).join('\n')).toBe(0);
  }
}, 1_200_000);
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

function crossrootRun(args: string[]) {
  return crossroot(['run', ...args], { env: { ...process.env, TMPDIR: scratch, TERM: 'dumb' } });
}

/** GNU tar's view of a tree: every name, owner, mode, mtime, xattr and content (not atime and ctime: reading moves them). */
async function treeDigest(root: string): Promise<string> {
  const tar = await runBuffer('tar', ['--sort=name', '--numeric-owner', '--xattrs', '--pax-option=delete=atime,delete=ctime', '-C', root, '-cf', '-', '.']);
  return createHash('sha256').update(tar).digest('hex');
}

async function fileDigest(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex');
}

describe('crossroot run', () => {
  it('runs an arm64 tarball under qemu-user; the tarball is unchanged and nothing is left in TMPDIR', async () => {
    const before = await fileDigest(tarball);
    // dpkg's own name for arm64's CPU, the machine uname reports under qemu-aarch64.
    const cpu = (await runBuffer('dpkg-architecture', ['-aarm64', '-qDEB_HOST_GNU_CPU'])).toString().trim();
    const r = await withEmulation('arm64', () => crossrootRun([tarball, '--', 'sh', '-c', 'uname -m; dpkg --print-architecture; touch /etc/scratch']));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${cpu}\narm64\n`);
    expect(await fileDigest(tarball)).toBe(before);
    expect(await readdir(scratch)).toEqual([]);
  }, 300_000);

  it('gives the command exactly PATH, HOME, TERM, PWD (bwrap sets it) and --env; exits with its status', async () => {
    const env = await crossrootRun(['--env', 'FOO=bar baz', dir, '/usr/bin/env']);
    expect(env.code, env.stderr).toBe(0);
    expect(env.stdout.trim().split('\n').sort()).toEqual(['FOO=bar baz', 'HOME=/root', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'PWD=/', 'TERM=dumb']);
    expect((await crossrootRun([dir, 'sh', '-c', 'exit 7'])).code).toBe(7);
    // Killed by a signal: 128 + its number, as a shell reports it.
    expect((await crossrootRun([dir, '--', 'sh', '-c', 'kill -TERM $$'])).code).toBe(143);
    // The command's own options are its own: --help after ROOT goes to ls.
    const help = await crossrootRun([dir, '--', 'ls', '--help']);
    expect(help.stdout).toMatch(/^Usage: ls /);
  }, 300_000);

  it('changes a directory in place, and with --overlay leaves it exactly as it was', async () => {
    const before = await treeDigest(dir);
    const o = await crossrootRun(['--overlay', dir, '--', 'sh', '-c', 'touch /etc/overlay-marker && rm /etc/debian_version && ls /etc/overlay-marker']);
    expect(o.code, o.stderr).toBe(0);
    expect(o.stdout).toBe('/etc/overlay-marker\n');
    expect(await treeDigest(dir)).toBe(before);
    expect(await readdir(scratch)).toEqual([]);
    const p = await crossrootRun([dir, '--', 'touch', '/root/in-place']);
    expect(p.code, p.stderr).toBe(0);
    expect(await readdir(join(dir, 'root'))).toContain('in-place');
    await rm(join(dir, 'root', 'in-place'));
    expect(await treeDigest(dir)).not.toBe(before); // /root's mtime moved: the run was real
  }, 300_000);

  it('--bind mounts a host directory read-write', async () => {
    const src = join(work, 'src');
    await mkdir(src);
    await writeFile(join(src, 'in'), 'from the host\n');
    const r = await crossrootRun(['--overlay', '--bind', `${src}:/src`, '--env', 'WORD=back', dir, '--', 'sh', '-c', 'cat /src/in; echo "$WORD" > /src/out']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('from the host\n');
    expect(await readFile(join(src, 'out'), 'utf8')).toBe('back\n');
  }, 300_000);

  it('bad input: a missing ROOT or a truncated tarball is exit 3 naming it, nothing left; usage errors are exit 2', async () => {
    const missing = await crossrootRun([join(work, 'no-such-root'), 'true']);
    expect(missing.code).toBe(3);
    expect(missing.stderr.trim()).toBe(`crossroot: ${join(work, 'no-such-root')}: no such file or directory`);
    const truncated = join(work, 'truncated.tar');
    await writeFile(truncated, (await readFile(tarball)).subarray(0, 1 << 20));
    const t = await crossrootRun([truncated, 'true']);
    expect(t.code).toBe(3);
    expect(t.stderr).toContain(`crossroot: ${truncated}: not a root directory or a tarball GNU tar can extract`);
    expect(t.stderr).not.toMatch(/\n\s+at /);
    expect(await readdir(scratch)).toEqual([]);
    expect((await crossrootRun(['--no-such-option', dir])).code).toBe(2);
    expect((await crossrootRun([])).code).toBe(2);
    expect((await crossrootRun(['--bind', 'relative', dir])).code).toBe(2);
  }, 300_000);

  it('a foreign root where nothing can run it is exit 4 with the fix', async () => {
    const r = await withoutEmulation('arm64', () => crossrootRun([tarball, 'true']));
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('arm64 binaries cannot run on this');
    expect(r.stderr).toContain('update-binfmts --enable');
    expect(await readdir(scratch)).toEqual([]);
  }, 300_000);
});

describe('crossroot run --help', () => {
  it('answers', async () => {
    const r = await run(process.execPath, [join(REPO_ROOT, 'dist/cli/crossroot.mjs'), 'run', '--help']);
    expect(r.stdout).toMatch(/^Usage: crossroot run \[OPTIONS\] ROOT/);
  });
});
