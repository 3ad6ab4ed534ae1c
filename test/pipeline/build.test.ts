// crossroot build against mmdebstrap and against itself: byte-identical tarballs.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crossroot, REPO_ROOT, run } from '../support/cli.js';
import { mirrorArgument, mmdebstrapTarball } from '../support/mmdebstrap-oracle.js';

const SDE = 1_700_000_000;
const CACHE = join(REPO_ROOT, '.cache', 'archive');
let work = '';

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'crossroot-build-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function build(name: string, args: string[]): Promise<string> {
  const out = join(work, name);
  const r = await crossroot(['build', '--cache-dir', CACHE, ...args, 'bookworm', out, await mirrorArgument()], {
    env: { ...process.env, SOURCE_DATE_EPOCH: String(SDE) },
  });
  expect(r.code, r.stderr.split('\n').slice(-20).join('\n')).toBe(0);
  return out;
}

async function cmp(a: string, b: string): Promise<boolean> {
  const r = await run('cmp', [a, b]);
  if (r.code === 0) return true;
  // Say which members differ when they do: crossroot compare is tested on its own.
  const c = await crossroot(['compare', a, b]);
  console.error(c.stdout.slice(0, 4000));
  return false;
}

describe('crossroot build (bookworm, SOURCE_DATE_EPOCH fixed, the host mirror)', () => {
  it('amd64 essential equals mmdebstrap --mode=root --variant=essential with the merged-usr hook', async () => {
    const [ref, ours] = await Promise.all([
      mmdebstrapTarball({ mode: 'root', arch: 'amd64', variant: 'essential', sourceDateEpoch: SDE }),
      build('essential.tar', ['--variant', 'essential']),
    ]);
    expect(await cmp(ref, ours)).toBe(true);
  }, 1_200_000);

  it('amd64 essential: crossroot reference equals mmdebstrap --mode=root too', async () => {
    const ref = await mmdebstrapTarball({ mode: 'root', arch: 'amd64', variant: 'essential', sourceDateEpoch: SDE });
    const out = join(work, 'reference-essential.tar');
    const r = await crossroot(['reference', '--cache-dir', CACHE, '--variant', 'essential', 'bookworm', out, await mirrorArgument()], {
      env: { ...process.env, SOURCE_DATE_EPOCH: String(SDE) },
    });
    expect(r.code, r.stderr.split('\n').slice(-20).join('\n')).toBe(0);
    expect(await cmp(ref, out)).toBe(true);
  }, 1_200_000);

  it('amd64 essential: --installer=dpkg gives the same bytes as the native installer', async () => {
    const native = await build('essential-native.tar', ['--variant', 'essential']);
    const dpkg = await build('essential-dpkg.tar', ['--variant', 'essential', '--installer=dpkg']);
    expect(await cmp(native, dpkg)).toBe(true);
  }, 1_200_000);

  it('amd64 buildd: --installer=dpkg and native give the same bytes', async () => {
    const native = await build('buildd-native.tar', ['--variant', 'buildd']);
    const dpkg = await build('buildd-dpkg.tar', ['--variant', 'buildd', '--installer=dpkg']);
    expect(await cmp(native, dpkg)).toBe(true);
  }, 1_800_000);

  it('arm64 buildd completes with binfmt for aarch64 switched off', async () => {
    const entry = '/proc/sys/fs/binfmt_misc/qemu-aarch64';
    const before = await readFile(entry, 'utf8').catch(() => undefined);
    if (before?.startsWith('enabled')) await writeFile(entry, '0');
    try {
      // Nothing can run an aarch64 binary now: arch-test says so.
      expect((await run('arch-test', ['arm64'])).code).not.toBe(0);
      const out = await build('buildd-arm64.tar', ['--arch', 'arm64', '--variant', 'buildd']);
      const listing = await run('tar', ['-tf', out]);
      expect(listing.stdout).toContain('./usr/bin/aarch64-linux-gnu-gcc-12');
      expect(listing.stdout).toContain('./var/lib/dpkg/info/build-essential.list');
    } finally {
      if (before?.startsWith('enabled')) await writeFile(entry, '1');
    }
  }, 1_800_000);
});
