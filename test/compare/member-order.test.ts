// Member names: normalization, and the order GNU tar --sort=name writes (the oracle), for tarballs and directories.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { walkDirectory } from '../../src/compare/directory-walk.js';
import { compareMemberNames, normalizeMemberName } from '../../src/compare/member-name.js';
import { runBuffer } from '../support/cli.js';
import { removeDir, workDir } from './trees.js';

let work = '';
let tree = '';
let tarOrder: string[] = [];

beforeAll(async () => {
  work = await workDir('order');
  tree = join(work, 'tree');
  // names where byte order, code-unit order and "directory first" disagree
  const files = ['a', 'a-b', 'a.b', 'a0', 'A', 'é', 'z', '\u{1f600}', '\uffee', 'a/b', 'a/c/d', 'a/c-d', 'ab/x', 'a b'];
  for (const f of files) {
    await mkdir(join(tree, f, '..'), { recursive: true });
    if (!['a', 'a/c', 'ab'].includes(f)) await writeFile(join(tree, f), f);
  }
  const listing = await runBuffer('tar', ['--sort=name', '-C', tree, '-cf', '-', '.']).then(async (tar) => {
    await writeFile(join(work, 't.tar'), tar);
    return runBuffer('tar', ['-tf', join(work, 't.tar')]);
  });
  tarOrder = listing.toString('utf8').trimEnd().split('\n').map(normalizeMemberName);
});
afterAll(() => removeDir(work));

describe('member names', () => {
  it('normalize every spelling of a path to one', () => {
    expect(['./usr/bin/', 'usr/bin', '/usr/bin', 'usr//bin/', './usr/./bin'].map(normalizeMemberName)).toEqual(Array(5).fill('/usr/bin'));
    expect(['./', '.', '/', ''].map(normalizeMemberName)).toEqual(Array(4).fill('/'));
  });

  it('sort as GNU tar --sort=name writes them (and plain string order does not)', () => {
    const shuffled = [...tarOrder].reverse();
    expect(shuffled.sort(compareMemberNames)).toEqual(tarOrder);
    expect([...tarOrder].sort()).not.toEqual(tarOrder);
  });

  it('a directory is walked in the same order', async () => {
    const walked: string[] = [];
    for await (const { member } of walkDirectory(tree)) walked.push(member.name);
    expect(walked).toEqual(tarOrder);
  });

  it('compareMemberNames is a total order consistent with equality', () => {
    const name = fc.array(fc.constantFrom('a', 'b', '-', '.', '/', 'é', '\u{1f600}'), { maxLength: 6 }).map((p) => '/' + p.join(''));
    fc.assert(
      fc.property(name, name, name, (x, y, z) => {
        expect(Math.sign(compareMemberNames(x, y)) + Math.sign(compareMemberNames(y, x))).toBe(0);
        expect(compareMemberNames(x, y) === 0).toBe(x === y);
        if (compareMemberNames(x, y) < 0 && compareMemberNames(y, z) < 0) expect(compareMemberNames(x, z)).toBeLessThan(0);
      }),
      { seed: 7 },
    );
  });
});
