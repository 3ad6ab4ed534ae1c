// realDebs: the package sets mmdebstrap installs, as real archive .debs, cached.
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from './cli.js';
import { hostPackagesIndexes, readAptListFile, realDebs } from './real-debs.js';

// A first run downloads (and, for buildd, resolves three stages); give it room.
const DOWNLOAD_TIMEOUT = 15 * 60_000;

function names(debs: string[]): string[] {
  return debs.map((d) => basename(d));
}

async function expectValidDebs(debs: string[]): Promise<void> {
  // dpkg-deb is the oracle; a handful spread over the set is enough.
  const sample = [0, Math.floor(debs.length / 3), Math.floor((2 * debs.length) / 3), debs.length - 1].map((i) => debs[i]!);
  for (const deb of sample) {
    const info = await run('dpkg-deb', ['--info', deb]);
    expect(info.code, `${deb}: ${info.stderr}`).toBe(0);
    expect(info.stdout).toMatch(/^ Package: /m);
  }
}

describe('realDebs', () => {
  it('bookworm amd64 buildd: essential + build-essential + apt, cached', { timeout: DOWNLOAD_TIMEOUT }, async () => {
    const opts = { suite: 'bookworm', arch: 'amd64', variant: 'buildd' } as const;
    const first = await realDebs(opts);
    expect(first.debs.length).toBeGreaterThanOrEqual(120);
    expect(first.debs.length).toBeLessThanOrEqual(200);
    expect(first.debs).toEqual([...first.debs].sort());
    expect(first.debs.every((d) => d.startsWith(`${first.dir}/`) && d.endsWith('.deb'))).toBe(true);
    const n = names(first.debs);
    for (const prefix of ['libc6_', 'gcc-12_', 'apt_', 'dpkg-dev_', 'usr-is-merged_']) {
      expect(n.some((x) => x.startsWith(prefix)), prefix).toBe(true);
    }
    // merged-usr hook: usr-is-merged instead of usrmerge (which would pull in perl).
    expect(n.some((x) => x.startsWith('usrmerge_'))).toBe(false);
    expect(n.every((x) => x.endsWith('_amd64.deb') || x.endsWith('_all.deb'))).toBe(true);
    await expectValidDebs(first.debs);

    const t0 = performance.now();
    const again = await realDebs(opts);
    expect(performance.now() - t0).toBeLessThan(2_000);
    expect(again).toEqual(first);
  });

  it('bookworm amd64 essential: a subset of buildd without the toolchain', { timeout: DOWNLOAD_TIMEOUT }, async () => {
    const essential = await realDebs({ suite: 'bookworm', arch: 'amd64', variant: 'essential' });
    const buildd = await realDebs({ suite: 'bookworm', arch: 'amd64', variant: 'buildd' });
    expect(essential.debs.length).toBeGreaterThanOrEqual(40);
    expect(essential.debs.length).toBeLessThan(buildd.debs.length);
    const n = names(essential.debs);
    for (const prefix of ['libc6_', 'dpkg_', 'base-files_', 'usr-is-merged_']) {
      expect(n.some((x) => x.startsWith(prefix)), prefix).toBe(true);
    }
    for (const prefix of ['gcc-12_', 'apt_']) {
      expect(n.some((x) => x.startsWith(prefix)), prefix).toBe(false);
    }
    const inBuildd = new Set(names(buildd.debs));
    expect(n.filter((x) => !inBuildd.has(x))).toEqual([]);
    await expectValidDebs(essential.debs);
  });

  it('bookworm arm64 essential: a foreign architecture, no emulation needed', { timeout: DOWNLOAD_TIMEOUT }, async () => {
    const arm64 = await realDebs({ suite: 'bookworm', arch: 'arm64', variant: 'essential' });
    const amd64 = await realDebs({ suite: 'bookworm', arch: 'amd64', variant: 'essential' });
    const n = names(arm64.debs);
    expect(n.every((x) => x.endsWith('_arm64.deb') || x.endsWith('_all.deb'))).toBe(true);
    expect(n.some((x) => x.startsWith('libc6_') && x.endsWith('_arm64.deb'))).toBe(true);
    // Essential:yes and its closure are the same packages on both architectures in bookworm.
    const pkg = (x: string): string => x.split('_')[0]!;
    expect(n.map(pkg)).toEqual(names(amd64.debs).map(pkg));
    await expectValidDebs(arm64.debs);
  });

  it('concurrent callers share one download', { timeout: DOWNLOAD_TIMEOUT }, async () => {
    const opts = { suite: 'bookworm', arch: 'amd64', variant: 'essential' } as const;
    const [a, b] = await Promise.all([realDebs(opts), realDebs(opts)]);
    expect(a).toEqual(b);
  });
});

describe('host apt lists', () => {
  it('lists Packages indexes and reads them through apt-helper', { timeout: DOWNLOAD_TIMEOUT }, async () => {
    const files = await hostPackagesIndexes();
    expect(files.length).toBeGreaterThan(0);
    const text = await readAptListFile(files[0]!);
    expect(text).toMatch(/^Package: /m);
    expect(text).toMatch(/^Filename: pool\//m);
  });
});
