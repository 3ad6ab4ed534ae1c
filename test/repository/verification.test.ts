// Signatures, digests, truncation and the warm cache, against a proxy of the host's real mirror.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { crossroot } from '../support/cli.js';
import { hostArchiveUri } from '../support/host-mirror.js';
import { startMirrorProxy, type MirrorProxy } from '../support/mirror-proxy.js';

let proxy: MirrorProxy;
let work: string;

beforeAll(async () => {
  proxy = await startMirrorProxy(await hostArchiveUri('bookworm'));
  work = await mkdtemp(join(tmpdir(), 'crossroot-verify-'));
});
afterAll(async () => {
  await proxy.close();
  await rm(work, { recursive: true, force: true });
});
afterEach(() => {
  proxy.tamper = undefined;
  proxy.requests.length = 0;
});

let n = 0;
function freshCache(): string {
  return join(work, `cache-${++n}`);
}

async function filesIn(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
  } catch {
    return [];
  }
}

/** A small real resolution: hostname and its dependency closure (libc6, gcc-12-base, libgcc-s1). */
function resolveArgs(cache: string, ...extra: string[]): string[] {
  return ['resolve', '--arch', 'amd64', '--variant', 'essential', '--cache-dir', cache, ...extra, 'bookworm', `deb ${proxy.uri} bookworm main`];
}

function flip(body: Buffer, at: number): Buffer {
  const copy = Buffer.from(body);
  copy[at] = copy[at]! ^ 0x01;
  return copy;
}

function expectExit3Naming(r: { code: number; stderr: string }, ...names: string[]) {
  expect(r.code, r.stderr).toBe(3);
  // Progress lines ("get N/M ...") and retries ("crossroot: retrying ...") may come first; the
  // error is one line of its own.
  const errors = r.stderr
    .trim()
    .split('\n')
    .filter((l) => !/^get \d+\/\d+ /.test(l) && !/^crossroot: retrying /.test(l));
  expect(errors, r.stderr).toHaveLength(1);
  expect(errors[0]).toMatch(/^crossroot: /);
  for (const name of names) expect(r.stderr).toContain(name);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe('against the real archive, through a local proxy', () => {
  it('a tampered InRelease is exit 3 naming it, and nothing enters the cache', async () => {
    proxy.tamper = (path, body) => {
      if (!path.endsWith('/InRelease')) return undefined;
      const text = body.toString('utf8');
      expect(text).toContain('\nLabel: Debian\n');
      return Buffer.from(text.replace('\nLabel: Debian\n', '\nLabel: Debiam\n'));
    };
    const cache = freshCache();
    const r = await crossroot(resolveArgs(cache));
    expectExit3Naming(r, 'dists/bookworm/InRelease', 'signature');
    expect(await filesIn(cache)).toEqual([]);
  });

  it('a tampered Packages index is exit 3 naming it, and nothing enters the cache', async () => {
    proxy.tamper = (path, body) => (/binary-amd64\/(Packages|by-hash)/.test(path) ? flip(body, body.length >> 1) : undefined);
    const cache = freshCache();
    const r = await crossroot(resolveArgs(cache));
    expectExit3Naming(r, 'main/binary-amd64/Packages.xz', 'SHA256');
    expect(await filesIn(cache)).toEqual([]);
  });

  it('a .deb whose bytes differ from its SHA256 is exit 3 naming it, and is not cached', async () => {
    proxy.tamper = (path, body) => (/\/hostname_[^/]*\.deb$/.test(path) ? flip(body, 100) : undefined);
    const cache = freshCache();
    const r = await crossroot(resolveArgs(cache, '--download', '--include', 'hostname'));
    expectExit3Naming(r, 'hostname_', '.deb', 'SHA256');
    const cached = await filesIn(cache);
    expect(cached.some((f) => f.includes('.partial'))).toBe(false);
    expect(proxy.requests.some((p) => p.includes('/hostname_'))).toBe(true);
  });

  it('a truncated download is exit 3 naming it, and is not cached', async () => {
    proxy.tamper = (path) => (/\/bash_[^/]*\.deb$/.test(path) ? 'truncate' : undefined);
    const cache = freshCache();
    const r = await crossroot(resolveArgs(cache, '--download'));
    expectExit3Naming(r, 'bash_', '.deb');
    // A broken transfer is resumed (Range) and retried; the proxy breaks every one of them.
    expect(r.stderr).toMatch(/bash_\S+\.deb: download interrupted: .* \(after 4 attempts\)$/m);
    expect((await filesIn(cache)).some((f) => f.includes('.partial'))).toBe(false);
  });

  it('a second resolve --download with a warm cache requests no .deb', async () => {
    const cache = freshCache();
    const first = await crossroot(resolveArgs(cache, '--download'));
    expect(first.code, first.stderr).toBe(0);
    const debs = proxy.requests.filter((p) => p.endsWith('.deb'));
    expect(debs.length).toBeGreaterThan(50);
    proxy.requests.length = 0;
    const second = await crossroot(resolveArgs(cache, '--download'));
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    expect(proxy.requests.filter((p) => p.endsWith('.deb'))).toEqual([]);
  });

  it('a lockfile reproduces its set later; a package gone from mirror and cache is exit 3 naming it', async () => {
    const lock = join(work, 'essential.lock');
    const cache = freshCache();
    const r = await crossroot(resolveArgs(cache, '--lock', lock));
    expect(r.code, r.stderr).toBe(0);
    const resolved = r.stdout.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    // Later, elsewhere: another cache, the lock and the mirror.
    const later = await crossroot(['download', '--lock', lock, '--cache-dir', freshCache(), `deb ${proxy.uri} bookworm main`]);
    expect(later.code, later.stderr).toBe(0);
    expect(later.stdout.split('\n').filter(Boolean).map((l) => l.split(' ').slice(0, 3).join(' '))).toEqual(resolved);
    // The same lock when the mirror has dropped a package and the cache is empty.
    proxy.tamper = (path) => (/\/dash_[^/]*\.deb$/.test(path) ? 'missing' : undefined);
    const gone = await crossroot(['download', '--lock', lock, '--cache-dir', freshCache(), `deb ${proxy.uri} bookworm main`]);
    expectExit3Naming(gone, 'dash');
  });
});
