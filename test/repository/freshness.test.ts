// Release freshness and signatures, as apt checks them, against small signed archives on file://:
// a replayed (expired) InRelease, a Release from the future, per-source opt-outs with their
// note, a key outside the keyring, and an unsigned Release. Signed with a throwaway gpg key
// (oracle: gpg signs, gpgv in crossroot verifies).
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseReleaseTime } from '../../src/formats/index/release-date.js';
import { openSource } from '../../src/repository/archive.js';
import { Cache } from '../../src/repository/cache.js';
import { hostSources, parseDeb822Sources, parseSourcesList } from '../../src/repository/sources.js';
import { crossroot, run } from '../support/cli.js';

let work = '';
let home = '';
let keyring = '';
const gpgEnv = (): NodeJS.ProcessEnv => ({ ...process.env, GNUPGHOME: home, LC_ALL: 'C' });

/** A Release time as the archive writes it (`Sat, 05 Dec 2026 08:00:00 UTC`). */
function releaseTime(ms: number): string {
  return new Date(ms).toUTCString().replace('GMT', 'UTC');
}

const DAY = 86_400_000;

// One essential package is a whole "essential" set: enough for `crossroot resolve` to succeed.
const PACKAGES = `Package: base-files
Version: 13
Architecture: amd64
Essential: yes
Priority: required
Maintainer: crossroot tests <tests@localhost>
Filename: pool/main/b/base-files/base-files_13_amd64.deb
Size: 1000
SHA256: ${'0'.repeat(64)}
Description: synthetic

`;

interface ArchiveShape {
  date: number;
  validUntil?: number;
  /** How the Release is published: clear-signed InRelease, plain Release, or both. */
  signing: 'inrelease' | 'unsigned-release';
  /** Sign with another, throwaway key that the keyring does not hold. */
  foreignKey?: boolean;
}

let n = 0;
/** Writes an archive with suite "test" and returns its file:// URI. */
async function archive(shape: ArchiveShape): Promise<string> {
  const root = join(work, `archive-${++n}`);
  const dist = join(root, 'dists', 'test');
  await mkdir(join(dist, 'main', 'binary-amd64'), { recursive: true });
  await writeFile(join(dist, 'main', 'binary-amd64', 'Packages'), PACKAGES);
  const sha = createHash('sha256').update(PACKAGES).digest('hex');
  const release =
    `Origin: crossroot-test\nSuite: test\nCodename: test\nDate: ${releaseTime(shape.date)}\n` +
    (shape.validUntil !== undefined ? `Valid-Until: ${releaseTime(shape.validUntil)}\n` : '') +
    `Architectures: amd64\nComponents: main\nSHA256:\n ${sha} ${Buffer.byteLength(PACKAGES)} main/binary-amd64/Packages\n`;
  await writeFile(join(dist, 'Release'), release);
  if (shape.signing === 'inrelease') {
    const env = shape.foreignKey ? { ...gpgEnv(), GNUPGHOME: join(work, 'foreign-gnupg') } : gpgEnv();
    const r = await run('gpg', ['--batch', '--yes', '--clearsign', '-o', join(dist, 'InRelease'), join(dist, 'Release')], { env });
    if (r.code !== 0) throw new Error(`gpg --clearsign failed: ${r.stderr}`);
    await rm(join(dist, 'Release'));
  }
  return `file://${root}`;
}

function resolve(uri: string, opts: string, ...extra: string[]) {
  const line = `deb ${opts === '' ? '' : `[${opts}] `}${uri} test main`;
  return crossroot(['resolve', '--arch', 'amd64', '--keyring', keyring, '--cache-dir', join(work, 'cache'), ...extra, 'test', line]);
}

function expectExit3(r: { code: number; stderr: string }, code: RegExp) {
  expect(r.code, r.stderr).toBe(3);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(code);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

async function genKey(gnupgHome: string): Promise<void> {
  await mkdir(gnupgHome, { recursive: true, mode: 0o700 });
  const env = { ...process.env, GNUPGHOME: gnupgHome, LC_ALL: 'C' };
  const gen = await run('gpg', ['--batch', '--passphrase', '', '--quick-gen-key', 'crossroot test <test@example.org>', 'ed25519', 'sign', 'never'], { env });
  if (gen.code !== 0) throw new Error(`gpg --quick-gen-key failed: ${gen.stderr}`);
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'crossroot-freshness-'));
  home = join(work, 'gnupg');
  await genKey(home);
  await genKey(join(work, 'foreign-gnupg'));
  keyring = join(work, 'test-key.gpg');
  const exp = await run('gpg', ['--batch', '--output', keyring, '--export'], { env: gpgEnv() });
  if (exp.code !== 0) throw new Error(`gpg --export failed: ${exp.stderr}`);
}, 120_000);
afterAll(async () => {
  if (work !== '') await rm(work, { recursive: true, force: true });
});

describe('Release freshness (apt: Valid-Until, Date, Acquire::Max-FutureTime = 10 s)', () => {
  it('a fresh signed InRelease is accepted (the premise of the refusals below)', async () => {
    const uri = await archive({ date: Date.now() - DAY, validUntil: Date.now() + 6 * DAY, signing: 'inrelease' });
    const r = await resolve(uri, '');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('base-files 13 amd64');
    expect(r.stderr).toBe('');
  });

  it('a replayed InRelease past its Valid-Until is exit 3 REPO_RELEASE_EXPIRED, with the date in the message', async () => {
    const validUntil = Date.now() - 31 * DAY;
    const uri = await archive({ date: validUntil - 7 * DAY, validUntil, signing: 'inrelease' });
    const r = await resolve(uri, '');
    expectExit3(r, /^crossroot: file:\/\/\S+\/dists\/test\/InRelease: Release expired: Valid-Until /);
    expect(r.stderr).toContain(`Valid-Until ${releaseTime(validUntil)}, 31d 0h `);
  });

  it('--insecure does not lift expiry', async () => {
    const uri = await archive({ date: Date.now() - 8 * DAY, validUntil: Date.now() - DAY, signing: 'inrelease' });
    const r = await resolve(uri, '', '--insecure');
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/Release expired: Valid-Until /);
  });

  it('[check-valid-until=no] accepts the expired InRelease, with a note naming it and its Valid-Until', async () => {
    const validUntil = Date.now() - DAY;
    const uri = await archive({ date: Date.now() - 8 * DAY, validUntil, signing: 'inrelease' });
    const r = await resolve(uri, 'check-valid-until=no');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('base-files 13 amd64');
    expect(r.stderr.trim()).toBe(`crossroot: note: ${uri}/dists/test/InRelease: Valid-Until ${releaseTime(validUntil)}, already past, NOT checked (check-valid-until=no)`);
  });

  it('--ignore-release-expiry accepts it for every source, with a WARNING', async () => {
    const uri = await archive({ date: Date.now() - 8 * DAY, validUntil: Date.now() - DAY, signing: 'inrelease' });
    const r = await resolve(uri, '', '--ignore-release-expiry');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^crossroot: WARNING: \S+\/dists\/test\/InRelease: Valid-Until [^\n]*, already past, NOT checked \(--ignore-release-expiry\)$/m);
  });

  it('a Date in the future beyond 10 s is exit 3 REPO_RELEASE_FUTURE; [check-date=no] accepts it with a note', async () => {
    const date = Date.now() + 2 * 3_600_000;
    const uri = await archive({ date, validUntil: date + 7 * DAY, signing: 'inrelease' });
    const r = await resolve(uri, '');
    expectExit3(r, /^crossroot: \S+\/dists\/test\/InRelease: Release not valid yet: Date /);
    expect(r.stderr).toContain(`Date ${releaseTime(date)} is 1h 59min `);
    const off = await resolve(uri, 'check-date=no');
    expect(off.code, off.stderr).toBe(0);
    expect(off.stderr).toMatch(/^crossroot: note: \S+\/InRelease: Date [^\n]* and Valid-Until [^\n]*, NOT checked \(check-date=no\)$/m);
    // --ignore-release-expiry is about Valid-Until only: a future Date is still refused.
    expect((await resolve(uri, '', '--ignore-release-expiry')).code).toBe(3);
  });

  it('a Date 5 s ahead (a clock slightly behind) is within apt\'s 10 s', async () => {
    const uri = await archive({ date: Date.now() + 5_000, signing: 'inrelease' });
    const r = await resolve(uri, '');
    expect(r.code, r.stderr).toBe(0);
  });
});

describe('signatures of a local archive', () => {
  it('an InRelease signed by a key outside the keyring is exit 3, signature, even when fresh', async () => {
    const uri = await archive({ date: Date.now() - DAY, validUntil: Date.now() + 6 * DAY, signing: 'inrelease', foreignKey: true });
    const r = await resolve(uri, '');
    expectExit3(r, /^crossroot: \S+\/dists\/test\/InRelease: signature check failed/);
  });

  it('an unsigned Release (no InRelease, no Release.gpg) is exit 3 when a signature is required; [trusted=yes] takes it', async () => {
    const uri = await archive({ date: Date.now() - DAY, signing: 'unsigned-release' });
    const r = await resolve(uri, '');
    expectExit3(r, /^crossroot: \S+\/dists\/test\/Release: Release is not signed/);
    const trusted = await resolve(uri, 'trusted=yes');
    expect(trusted.code, trusted.stderr).toBe(0);
  });

  it('[trusted=yes] does not lift expiry (apt checks an unsigned Release\'s dates too)', async () => {
    const uri = await archive({ date: Date.now() - 8 * DAY, validUntil: Date.now() - DAY, signing: 'unsigned-release' });
    const r = await resolve(uri, 'trusted=yes');
    expectExit3(r, /Release expired/);
  });
});

describe('the opt-outs in sources', () => {
  it('one-line [check-valid-until=no check-date=no date-max-future=60]', () => {
    const [e] = parseSourcesList('deb [check-valid-until=no check-date=no date-max-future=60] http://127.0.0.1/debian sid main');
    expect(e).toMatchObject({ checkValidUntil: false, checkDate: false, dateMaxFuture: 60 });
    expect(parseSourcesList('deb http://127.0.0.1/debian sid main')[0]!.checkValidUntil).toBeUndefined();
  });

  it('deb822 Check-Valid-Until: no / Check-Date: no', () => {
    const [e] = parseDeb822Sources('Types: deb\nURIs: http://127.0.0.1/debian\nSuites: sid\nComponents: main\nCheck-Valid-Until: no\nCheck-Date: no\n');
    expect(e).toMatchObject({ checkValidUntil: false, checkDate: false });
  });

  it("the host's deb822 .sources with Check-Valid-Until: no accepts an expired Release, with the note", async () => {
    const uri = await archive({ date: Date.now() - 8 * DAY, validUntil: Date.now() - DAY, signing: 'inrelease' });
    const etc = join(work, 'etc-apt');
    await mkdir(join(etc, 'sources.list.d'), { recursive: true });
    await writeFile(join(etc, 'sources.list.d', 'test.sources'), `Types: deb\nURIs: ${uri}\nSuites: test\nComponents: main\nCheck-Valid-Until: no\n`);
    const [e] = await hostSources(etc);
    expect(e).toMatchObject({ uri, suite: 'test', checkValidUntil: false });
    const notes: string[] = [];
    const src = await openSource(e!, { cache: new Cache(join(work, 'cache')), keyrings: [keyring], insecure: false, onExpiryIgnored: (u, why) => notes.push(`${u}: ${why}`) });
    expect(src.release.suite).toBe('test');
    expect(notes).toEqual([`${uri}/dists/test/InRelease: Valid-Until ${src.release.validUntil}, already past, NOT checked (check-valid-until=no)`]);
    // Without the option, the same archive is refused.
    await expect(openSource({ ...e!, checkValidUntil: undefined }, { cache: new Cache(join(work, 'cache')), keyrings: [keyring], insecure: false })).rejects.toMatchObject({
      code: 'REPO_RELEASE_EXPIRED',
    });
  });
});

describe('Release times as apt reads them (RFC1123StrToTime)', () => {
  it.each([
    ['Sat, 10 Jun 2023 08:54:40 UTC', Date.UTC(2023, 5, 10, 8, 54, 40)],
    ['Sat, 10 Jun 2023 08:54:40 GMT', Date.UTC(2023, 5, 10, 8, 54, 40)],
    ['Sat, 10 Jun 2023 08:54:40 +0000', Date.UTC(2023, 5, 10, 8, 54, 40)],
    ['Sat Jun 10 08:54:40 2023', Date.UTC(2023, 5, 10, 8, 54, 40)],
    ['Sat, 10 Jun 2023 08:54:40 +0200', undefined],
    ['10 Jun 2023 08:54:40 UTC', undefined],
    ['Sat, 31 Feb 2023 08:54:40 UTC', undefined],
  ])('%s', (text, want) => {
    expect(parseReleaseTime(text)).toBe(want);
  });

  it("every InRelease in the host's apt lists has a Date apt and crossroot read alike", async () => {
    const lists = '/var/lib/apt/lists';
    const files = (await readdir(lists)).filter((f) => f.endsWith('_InRelease'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const text = await readFile(join(lists, f), 'utf8');
      for (const field of ['Date', 'Valid-Until']) {
        const v = new RegExp(`^${field}: (.*)$`, 'm').exec(text)?.[1];
        if (v !== undefined) expect(parseReleaseTime(v), `${f} ${field}: ${v}`).toBe(Date.parse(v.replace(/UTC$/, 'GMT')));
      }
    }
  });
});
