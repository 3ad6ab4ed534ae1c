// Malformed and hostile lockfiles: truncated, another format version, not a lockfile at all,
// entries with fields that could name a path, the same package twice. Each is exit 3 with one
// line naming the lockfile (and the line or package), no stack trace, nothing downloaded.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crossroot } from '../support/cli.js';
import { makeFlatRepo } from '../support/synthetic-repo.js';
import { expectExit3Naming } from '../support/exit-errors.js';

let work = '';
let repo = '';
/** A good lock of one package, made by crossroot resolve --lock from the repository. */
let good = '';
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'crossroot-malformed-lock-'));
  repo = await makeFlatRepo(join(work, 'repo'), [{ name: 'victim', version: '1', fields: { Essential: 'yes', Priority: 'required' }, files: { 'usr/share/victim': 'x' } }]);
  const lock = join(work, 'good.lock');
  const r = await crossroot(['resolve', '--arch', 'amd64', '--variant', 'essential', '--cache-dir', join(work, 'resolve-cache'), '--lock', lock, 'bookworm', repo]);
  expect(r.code, r.stderr).toBe(0);
  good = await readFile(lock, 'utf8');
}, 120_000);
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});


const field = (name: string, value: string) => (t: string) => t.replace(new RegExp(`^${name}: .*$`, 'gm'), `${name}: ${value}`);
const packageField = (name: string, value: string) => (t: string) => {
  const at = t.indexOf('\n\nPackage: ');
  return t.slice(0, at) + field(name, value)(t.slice(at));
};

const CASES: [string, (t: string) => string | Buffer, string[]][] = [
  ['an empty file', () => '', [':1', 'not a crossroot lockfile']],
  ['a JSON file', () => JSON.stringify({ suite: 'bookworm', packages: [] }, null, 2), [':1', 'not a field']],
  ['binary garbage', () => Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 37 + 11) & 0xff)), [':1']],
  ['packages without the header', (t) => t.slice(t.indexOf('Package: ')), [':1', 'not a crossroot lockfile']],
  ['another format version', field('Crossroot-Lock', '2'), [':1', 'lockfile format "2"']],
  ['truncated in the header', (t) => t.slice(0, t.indexOf('Architectures:')), ['missing Architectures']],
  ['truncated before an entry\'s Size', (t) => t.slice(0, t.indexOf('Size:')), [':7', 'victim', 'missing Size']],
  ['truncated in an entry\'s SHA256', (t) => t.slice(0, t.indexOf('SHA256:') + 30), [':7', 'victim', 'bad SHA256']],
  ['a Suite of two words', field('Suite', 'bookworm sid'), [':2', 'bad Suite']],
  ['a Suite continued on a second line', field('Suite', 'bookworm\n evil'), [':2', 'bad Suite']],
  ['an Architectures entry with a slash', field('Architectures', '../../amd64'), [':3', 'bad Architectures: "../../amd64"']],
  ['an entry without Filename', (t) => t.replace(/^Filename: .*\n/m, ''), [':7', 'victim', 'missing Filename']],
  ['an entry Package of ../../escape', packageField('Package', '../../escape'), [':7', 'invalid package name']],
  ['an entry Version of 1/../../escape', packageField('Version', '1/../../escape'), [':7', 'victim']],
  ['an entry Architecture of ../all', packageField('Architecture', '../all'), [':7', 'victim', 'invalid Architecture']],
  ['an entry Filename of /etc/shadow', packageField('Filename', '/etc/shadow'), [':7', 'victim', 'is absolute']],
  ['an entry Filename of ../../etc/shadow', packageField('Filename', '../../etc/shadow'), [':7', 'victim', '".." segment']],
  ['an entry Filename of %2e%2e/%2e%2e/etc/shadow', packageField('Filename', '%2e%2e/%2e%2e/etc/shadow'), [':7', 'victim', 'percent-encoded']],
  ['an entry Size that is not a number', packageField('Size', '12a'), [':7', 'victim', 'bad Size "12a"']],
  ['an entry Size beyond 2^53', packageField('Size', '99999999999999999999'), [':7', 'victim', 'bad Size "99999999999999999999"']],
  ['an entry SHA256 in capitals', (t) => t.replace(/^SHA256: (.*)$/m, (_, h: string) => `SHA256: ${h.toUpperCase()}`), [':7', 'victim', 'bad SHA256']],
  ['the same package twice', (t) => `${t.trimEnd()}\n\n${t.slice(t.indexOf('Package: ')).trimEnd()}\n`, [':14', 'victim', 'locked twice (first at line 7)']],
];

describe('a malformed or hostile lockfile', () => {
  let n = 0;
  for (const [name, edit, names] of CASES) {
    it(`${name}: download exits 3 naming the lockfile, nothing is downloaded`, async () => {
      const lock = join(work, `case-${++n}.lock`);
      const text = edit(good);
      expect(text).not.toEqual(good);
      await writeFile(lock, text);
      const cache = join(work, `cache-${n}`);
      const r = await crossroot(['download', '--lock', lock, '--cache-dir', cache, repo]);
      expectExit3Naming(r, lock, ...names);
      expect(await readdir(cache).catch(() => [])).toEqual([]);
    }, 60_000);
  }

  it('the good lock downloads (exit 0): the cases above fail for their edit alone', async () => {
    const lock = join(work, 'good-again.lock');
    await writeFile(lock, good);
    const r = await crossroot(['download', '--lock', lock, '--cache-dir', join(work, 'cache-good'), repo]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^victim 1 all \//);
  }, 60_000);

  it('a hostile lock given to build: exit 3 naming it, no TARGET', async () => {
    const lock = join(work, 'build.lock');
    await writeFile(lock, packageField('Filename', '../../etc/shadow')(good));
    const target = join(work, 'build-out.tar');
    const r = await crossroot(['build', '--tools-root', 'host', '--lock', lock, '--cache-dir', join(work, 'cache-build'), 'bookworm', target, repo]);
    expectExit3Naming(r, lock, ':7', 'victim', '".." segment');
    expect(await readdir(work)).not.toContain('build-out.tar');
  }, 60_000);
});
