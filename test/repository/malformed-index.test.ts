// Malformed Release and Packages files: each is exit 3 with one line naming the file (and the
// line or the package), no stack trace, nothing fetched after it. The same package twice in one
// index is not malformed: crossroot chooses what apt chooses (real apt-get is the oracle).
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crossroot, run, runBuffer } from '../support/cli.js';
import { buildDeb, makeFlatRepo } from '../support/synthetic-repo.js';
import { expectExit3Naming } from '../support/exit-errors.js';

let work = '';
let base = '';
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'crossroot-malformed-index-'));
  base = join(work, 'base');
  await makeFlatRepo(base, [{ name: 'victim', version: '1', fields: { Essential: 'yes', Priority: 'required' }, files: { 'usr/share/victim': 'x' } }]);
}, 120_000);
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** exit 3, one line of error (after any progress lines) naming each of `names`, no stack trace. */

let n = 0;
/** A copy of the base repository with its Release (and, with `packages`, its Packages) edited. */
async function editedRepo(edit: { release?: (r: string) => string | Buffer; packages?: (p: string) => string }): Promise<string> {
  const dir = join(work, `repo-${++n}`);
  await cp(base, dir, { recursive: true });
  if (edit.packages !== undefined) {
    const before = await readFile(join(dir, 'Packages'), 'utf8');
    const after = edit.packages(before);
    expect(after).not.toBe(before);
    await writeFile(join(dir, 'Packages'), after);
    await rm(join(dir, 'Release'));
    await writeFile(join(dir, 'Release'), await runBuffer('apt-ftparchive', ['release', '.'], { cwd: dir }));
  }
  if (edit.release !== undefined) {
    const before = await readFile(join(dir, 'Release'), 'utf8');
    const after = edit.release(before);
    expect(after).not.toEqual(before);
    await writeFile(join(dir, 'Release'), after);
  }
  return dir;
}

function resolve(dir: string, ...extra: string[]) {
  return crossroot(['resolve', '--arch', 'amd64', '--variant', 'essential', '--cache-dir', join(dir, '..', `${dir.split('/').pop()}-cache`), ...extra, 'bookworm', `deb [trusted=yes] file://${dir} ./`]);
}

describe('a malformed Release', () => {
  const cases: [string, (r: string) => string | Buffer, string[]][] = [
    ['without a Date field', (r) => r.replace(/^Date: .*\n/m, ''), ['Release', 'Date']],
    ['without a SHA256 field (MD5Sum and SHA1 only)', (r) => r.replace(/^SHA256:\n( .*\n)+/m, '').replace(/^SHA512:\n( .*\n)+/m, ''), ['Release', 'SHA256']],
    ['whose SHA256 line is not "HASH SIZE PATH"', (r) => r.replace(/^(SHA256:\n) [0-9a-f]{64}/m, '$1 not-a-hash'), ['Release:', 'SHA256 line']],
    ['whose SHA256 line has a short hash', (r) => r.replace(/^(SHA256:\n [0-9a-f]{60})[0-9a-f]{4}/m, '$1'), ['Release:', 'SHA256 line']],
    ['whose SHA256 line has a bad size', (r) => r.replace(/^(SHA256:\n [0-9a-f]{64}\s+)\d+/m, '$1-12'), ['Release:', 'SHA256 line']],
    ['with a line that is not a field', (r) => r.replace(/^Date:/m, 'garbled line\nDate:'), ['Release:1', 'not a field']],
    ['with a field twice', (r) => r.replace(/^(Date: .*\n)/m, '$1$1'), ['Release:2', 'duplicate field Date']],
    ['with a continuation line before any field', (r) => ` continued\n${r}`, ['Release:1', 'continuation line']],
    ['of two paragraphs', (r) => `${r}\nOrigin: second\n`, ['Release', 'one paragraph']],
    ['that is empty', () => '', ['Release', 'found 0']],
    ['that is binary garbage', () => Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 37 + 11) & 0xff)), ['Release:1']],
    ['with an unparsable Valid-Until', (r) => r.replace(/^(Date: .*\n)/m, '$1Valid-Until: tomorrow\n'), ['Release', 'invalid Valid-Until "tomorrow"']],
    ['listing the Packages index with a wrong size', (r) => r.replace(/^(SHA256:\n [0-9a-f]{64}\s+)(\d+)/m, (_, a: string, s: string) => `${a}${Number(s) + 1}`), ['Packages']],
  ];
  for (const [name, edit, names] of cases) {
    it(`${name}: exit 3 naming it`, async () => {
      const dir = await editedRepo({ release: edit });
      expectExit3Naming(await resolve(dir), ...names);
    }, 60_000);
  }
});

describe('a malformed Packages index', () => {
  const cases: [string, (p: string) => string, string[]][] = [
    ...(['Package', 'Version', 'Architecture', 'Filename', 'Size', 'SHA256'] as const).map(
      (field) => [`with a stanza without ${field}`, (p: string) => p.replace(new RegExp(`^${field}: .*\\n`, 'm'), ''), ['Packages:1', `no ${field} field`]] as [string, (p: string) => string, string[]],
    ),
    ['with a Size that is not a number', (p) => p.replace(/^Size: .*$/m, 'Size: 12a'), ['Packages:1', 'victim', 'bad Size "12a"']],
    ['with a negative Size', (p) => p.replace(/^Size: .*$/m, 'Size: -1'), ['Packages:1', 'victim', 'bad Size "-1"']],
    ['with an empty Size', (p) => p.replace(/^Size: .*$/m, 'Size:'), ['Packages:1', 'victim', 'bad Size ""']],
    ['with a Size beyond 2^53 (no exact number in JavaScript)', (p) => p.replace(/^Size: .*$/m, 'Size: 99999999999999999999'), ['Packages:1', 'victim', 'bad Size "99999999999999999999"']],
    ['with a SHA256 that is not 64 hex digits', (p) => p.replace(/^SHA256: .*$/m, 'SHA256: abc'), ['Packages:1', 'victim', 'bad SHA256']],
    ['with a field twice', (p) => p.replace(/^(Version: .*\n)/m, '$1Version: 2\n'), ['Packages:', 'duplicate field Version']],
    ['with a line that is not a field', (p) => p.replace(/^Version:/m, 'garbled line\nVersion:'), ['Packages:', 'not a field']],
    ['with an absolute Filename', (p) => p.replace(/^Filename: .*$/m, 'Filename: /etc/shadow'), ['Packages:1', 'victim', 'Filename "/etc/shadow" is absolute']],
    ['with an invalid Version', (p) => p.replace(/^Version: .*$/m, 'Version: 1:'), ['Packages:1', 'victim']],
  ];
  for (const [name, edit, names] of cases) {
    it(`${name}: exit 3 naming it`, async () => {
      const dir = await editedRepo({ packages: edit });
      expectExit3Naming(await resolve(dir), ...names);
    }, 60_000);
  }
});

/**
 * What apt-get chooses for `victim` from a flat repository: the Filename and SHA256 of the .deb
 * it would download (`apt-get download --print-uris`), with a configuration of its own.
 */
async function aptChoice(dir: string): Promise<{ filename: string; sha256: string }> {
  const state = join(dir, '..', `${dir.split('/').pop()}-apt`);
  await mkdir(join(state, 'lists', 'partial'), { recursive: true });
  await mkdir(join(state, 'cache', 'archives', 'partial'), { recursive: true });
  await writeFile(join(state, 'sources.list'), `deb [trusted=yes] file://${dir} ./\n`);
  await writeFile(join(state, 'status'), '');
  const opts = [
    '-o', `Dir::Etc::SourceList=${join(state, 'sources.list')}`,
    '-o', 'Dir::Etc::SourceParts=/nonexistent',
    '-o', `Dir::State=${state}`,
    '-o', `Dir::State::Lists=${join(state, 'lists')}`,
    '-o', `Dir::State::status=${join(state, 'status')}`,
    '-o', `Dir::Cache=${join(state, 'cache')}`,
    '-o', 'Dir::Etc::Preferences=/nonexistent', '-o', 'Dir::Etc::PreferencesParts=/nonexistent',
    '-o', 'APT::Architecture=amd64', '-o', 'APT::Architectures=amd64',
    '-o', 'APT::Sandbox::User=root', '-o', 'Debug::NoLocking=1',
  ];
  const update = await run('apt-get', [...opts, 'update']);
  expect(update.code, update.stderr).toBe(0);
  const r = await run('apt-get', [...opts, '--print-uris', 'download', 'victim'], { cwd: state });
  expect(r.code, r.stderr).toBe(0);
  // apt prints the URI (file:/DIR/...), the name, the size and its strongest hash (SHA512).
  const m = /^'file:\/*(\/[^']*)' \S+ \d+ SHA\d+:[0-9a-f]+$/m.exec(r.stdout);
  expect(m, r.stdout).not.toBeNull();
  const path = m![1]!;
  expect(path.startsWith(`${dir}/`), path).toBe(true);
  return { filename: path.slice(dir.length + 1), sha256: createHash('sha256').update(await readFile(path)).digest('hex') };
}

/** What crossroot locks for `victim`. */
async function crossrootChoice(dir: string): Promise<{ filename: string; sha256: string }> {
  const lock = join(dir, '..', `${dir.split('/').pop()}.lock`);
  const r = await resolve(dir, '--lock', lock);
  expect(r.code, r.stderr).toBe(0);
  const stanza = (await readFile(lock, 'utf8')).split('\n\n').find((s) => s.startsWith('Package: victim\n'));
  expect(stanza).toBeDefined();
  return { filename: /^Filename: (?:\.\/)?(.*)$/m.exec(stanza!)![1]!, sha256: /^SHA256: (.*)$/m.exec(stanza!)![1]! };
}

describe('the same package twice in one index: crossroot chooses what apt chooses', () => {
  /** A flat repository whose Packages is the stanzas of `order` (directory/version) in that order. */
  async function twice(name: string, order: [string, string][]): Promise<string> {
    const dir = join(work, name);
    const parts: string[] = [];
    for (const [sub, version] of order) {
      await mkdir(join(dir, sub), { recursive: true });
      // Different content under each directory: the two copies have different SHA256s.
      await buildDeb(join(dir, sub), { name: 'victim', version, fields: { Essential: 'yes', Priority: 'required' }, files: { 'usr/share/victim': sub } });
      parts.push((await runBuffer('apt-ftparchive', ['packages', sub], { cwd: dir })).toString().trimEnd());
    }
    await writeFile(join(dir, 'Packages'), `${parts.join('\n\n')}\n`);
    await writeFile(join(dir, 'Release'), await runBuffer('apt-ftparchive', ['release', '.'], { cwd: dir }));
    return dir;
  }

  for (const [name, order] of [
    ['same version, different files', [['a', '1'], ['b', '1']]],
    ['a higher version after a lower one', [['a', '1'], ['b', '2']]],
    ['a lower version after a higher one', [['a', '2'], ['b', '1']]],
  ] as [string, [string, string][]][]) {
    it(`${name}: the same .deb as apt-get`, async () => {
      const dir = await twice(`twice-${name.replace(/\W+/g, '-')}`, order);
      const apt = await aptChoice(dir);
      expect(await crossrootChoice(dir)).toEqual(apt);
    }, 120_000);
  }
});
