// Hostile index and lockfile fields: a Filename, Package or Version that names a path out of
// the archive, the cache or the root is refused where it is read (exit 3), before anything is fetched or linked.
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crossroot, runBuffer } from '../support/cli.js';
import { makeFlatRepo } from '../support/synthetic-repo.js';
import { expectExit3Naming } from '../support/exit-errors.js';

let work = '';
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'crossroot-hostile-index-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function filesIn(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => !e.isDirectory()).map((e) => join(e.parentPath, e.name));
  } catch {
    return [];
  }
}

/** exit 3, one line of error naming each of `names`, no stack trace. */

/**
 * A flat repository holding one essential package `victim`, its Packages stanza edited by
 * `edit` (and Release regenerated, so the index is what the archive signs).
 */
async function hostileRepo(name: string, edit: (packages: string, dir: string) => string): Promise<{ dir: string; repo: string }> {
  const dir = join(work, name, 'repo');
  const repo = await makeFlatRepo(dir, [{ name: 'victim', version: '1', fields: { Essential: 'yes', Priority: 'required' }, files: { 'usr/share/victim': 'x' } }]);
  const packages = await readFile(join(dir, 'Packages'), 'utf8');
  const edited = edit(packages, dir);
  expect(edited).not.toBe(packages);
  await writeFile(join(dir, 'Packages'), edited);
  await rm(join(dir, 'Release'));
  await writeFile(join(dir, 'Release'), await runBuffer('apt-ftparchive', ['release', '.'], { cwd: dir }));
  return { dir, repo };
}

/** A host file only root can read, outside the repository: what a Filename of ../.. would reach. */
async function hostSecret(name: string): Promise<{ path: string; size: number; sha256: string }> {
  const path = join(work, name, 'host', 'secret');
  await mkdir(join(work, name, 'host'), { recursive: true });
  const data = 'host secret\n';
  await writeFile(path, data);
  await chmod(path, 0o600);
  return { path, size: data.length, sha256: createHash('sha256').update(data).digest('hex') };
}

describe('hostile Filename', () => {
  it('an index Filename of ../host/secret: exit 3 naming the package and the index; the host file is not copied into the cache', async () => {
    const secret = await hostSecret('filename-index');
    const { repo } = await hostileRepo('filename-index', (p, dir) =>
      p
        .replace(/^Filename: .*$/m, `Filename: ${relative(dir, secret.path)}`)
        .replace(/^Size: .*$/m, `Size: ${secret.size}`)
        .replace(/^SHA256: .*$/m, `SHA256: ${secret.sha256}`),
    );
    const cache = join(work, 'filename-index', 'cache');
    const r = await crossroot(['resolve', '--download', '--arch', 'amd64', '--variant', 'essential', '--cache-dir', cache, 'bookworm', repo]);
    expectExit3Naming(r, 'victim', 'Packages', '../host/secret');
    // The cache may hold the index itself; never the host file (under its SHA256).
    expect((await filesIn(cache)).filter((f) => f.includes(secret.sha256))).toEqual([]);
  }, 120_000);

  it('a lockfile Filename of ../host/secret: download exits 3 naming the package and the lockfile; the host file is not copied into the cache', async () => {
    const secret = await hostSecret('filename-lock');
    const dir = join(work, 'filename-lock', 'repo');
    const repo = await makeFlatRepo(dir, []);
    const lock = join(work, 'filename-lock', 'bookworm.lock');
    await writeFile(
      lock,
      'Crossroot-Lock: 1\nSuite: bookworm\nArchitectures: amd64\nVariant: essential\nRelease-Date: Sat, 01 Jan 2022 00:00:00 UTC\n\n' +
        `Package: victim\nVersion: 1\nArchitecture: all\nFilename: ${relative(dir, secret.path)}\nSize: ${secret.size}\nSHA256: ${secret.sha256}\n`,
    );
    const cache = join(work, 'filename-lock', 'cache');
    const r = await crossroot(['download', '--lock', lock, '--cache-dir', cache, repo]);
    expectExit3Naming(r, 'victim', lock, '../host/secret');
    // The cache may hold the index itself; never the host file (under its SHA256).
    expect((await filesIn(cache)).filter((f) => f.includes(secret.sha256))).toEqual([]);
  }, 120_000);
});

describe('hostile Package and Version', () => {
  for (const [field, value] of [
    ['Package', '../../../../../escape'],
    ['Version', '1/../../../../../../escape'],
  ] as const) {
    it(`an index ${field} of ${value}: build exits 3 naming the index and the package; nothing is linked outside the root, no TARGET`, async () => {
      const name = `${field.toLowerCase()}-slash`;
      const { repo } = await hostileRepo(name, (p) => p.replace(new RegExp(`^${field}: .*$`, 'm'), `${field}: ${value}`));
      // The build's own TMPDIR, so that what lands beside the root can be seen.
      const tmp = join(work, name, 'tmp');
      await mkdir(tmp, { recursive: true });
      const target = join(work, name, 'out.tar');
      const r = await crossroot(['build', '--arch', 'amd64', '--variant', 'essential', '--cache-dir', join(work, name, 'cache'), 'bookworm', target, repo], {
        env: { ...process.env, TMPDIR: tmp },
      });
      expectExit3Naming(r, 'Packages', field === 'Package' ? value : 'victim', value);
      expect(await filesIn(tmp)).toEqual([]);
      expect(await filesIn(join(work, name, 'out.tar'))).toEqual([]);
    }, 300_000);
  }
});
