// A relation field that does not parse: exit 3, one line naming the package whose field it is.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crossroot, runBuffer } from '../support/cli.js';
import { makeFlatRepo } from '../support/synthetic-repo.js';

let work = '';
let repo = '';
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'crossroot-relations-'));
  const dir = join(work, 'repo');
  repo = await makeFlatRepo(dir, [
    { name: 'top', version: '1.0', fields: { Depends: 'mid' } },
    { name: 'mid', version: '2.1', fields: { Depends: 'leaf (>= 1)' } },
    { name: 'leaf', version: '2.9' },
  ]);
  // dpkg-deb would not build it: the index says what the archive says (a broken or hostile mirror).
  const packages = (await readFile(join(dir, 'Packages'), 'utf8')).replace('Depends: leaf (>= 1)', 'Depends: leaf (>= !1)');
  await writeFile(join(dir, 'Packages'), packages);
  await writeFile(join(dir, 'Release'), await runBuffer('apt-ftparchive', ['release', '.'], { cwd: dir }));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('relation syntax errors', () => {
  it('a Depends with a bad version, reached from --include: exit 3 naming the package and field', async () => {
    const r = await crossroot(['resolve', '--arch', 'amd64', '--cache-dir', join(work, 'cache'), '--include', 'top', 'bookworm', repo]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(/^crossroot: mid: Depends: bad version in relation 'leaf \(>= !1\)'/)]);
  });
});
