// The download cache checks what it holds when it is used, not only when it entered: a
// cached .deb changed since (same size, one byte different) is never handed out.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CrossrootError, exitCodeFor } from '../../src/errors.js';
import { Cache } from '../../src/repository/cache.js';
import { downloadAll, type DownloadItem } from '../../src/repository/download.js';
import { buildDeb } from '../support/synthetic-repo.js';

let work = '';
let mirror = '';
let good: Buffer;
let item: DownloadItem;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'crossroot-cache-integrity-'));
  mirror = join(work, 'mirror');
  await mkdir(mirror);
  const deb = await buildDeb(mirror, { name: 'hello', version: '1.0', files: { 'usr/share/hello/greeting': 'hello\n'.repeat(1000) } });
  good = await readFile(deb);
  item = {
    package: 'hello',
    version: '1.0',
    architecture: 'all',
    filename: basename(deb),
    size: good.length,
    sha256: createHash('sha256').update(good).digest('hex'),
    origins: [`file://${mirror}/`],
  };
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A cache holding `item` with one byte flipped (same size): the damage a bad disk or a stray write does. */
async function damagedCache(name: string): Promise<{ cache: Cache; path: string }> {
  const cache = new Cache(join(work, name));
  const path = cache.pathFor(item.sha256);
  await mkdir(join(path, '..'), { recursive: true });
  const bad = Buffer.from(good);
  bad[bad.length - 200] = bad[bad.length - 200]! ^ 0x01;
  await writeFile(path, bad);
  return { cache, path };
}

describe('the download cache checks a file each time it is used', () => {
  it('a cached .deb of the right size with one byte flipped is downloaded again, never handed out', async () => {
    const { cache, path } = await damagedCache('flipped');
    const lines: string[] = [];
    const [got] = await downloadAll([item], cache, { jobs: 1, log: (l) => lines.push(l) });
    expect(got).toBe(path);
    expect((await readFile(got!)).equals(good)).toBe(true);
    expect(lines).toEqual([expect.stringMatching(new RegExp(`^hello_1\\.0_all\\.deb: the cached copy ${path} was damaged \\(SHA256 [0-9a-f]{64}, not the ${item.sha256} it is stored under\\) and has been removed; downloading it again$`))]);
    // And an intact file is found as it is, not fetched again.
    const before = await stat(path);
    const events: boolean[] = [];
    await downloadAll([item], cache, { jobs: 1, progress: (e) => events.push(e.cached) });
    expect(events).toEqual([true]);
    expect((await stat(path)).ino).toBe(before.ino);
  });

  it('a cached .deb damaged in place with no mirror that has it: REPO_MISSING naming the damaged file, exit 3, and it is gone', async () => {
    const { cache, path } = await damagedCache('nowhere');
    const empty = join(work, 'empty-mirror');
    await mkdir(empty, { recursive: true });
    const err = await downloadAll([{ ...item, origins: [`file://${empty}/`] }], cache, { jobs: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CrossrootError);
    expect((err as CrossrootError).code).toBe('REPO_MISSING');
    expect(exitCodeFor(err as CrossrootError)).toBe(3);
    expect((err as Error).message).toContain(`the cached copy ${path} was damaged (SHA256 `);
    expect(await stat(path).catch(() => 'gone')).toBe('gone');
  });

  it('a directory where a cached file should be is not a file: removed and downloaded again', async () => {
    const cache = new Cache(join(work, 'dir'));
    const path = cache.pathFor(item.sha256);
    await mkdir(path, { recursive: true });
    const [got] = await downloadAll([item], cache, { jobs: 1 });
    expect((await readFile(got!)).equals(good)).toBe(true);
  });
});
