// The host's mirror is a frozen snapshot: the Valid-Until of some of its Releases (bookworm-security,
// trixie-updates, trixie-security: 2026-12-13) passes while the snapshot stays. The tests' lines
// for it carry [check-valid-until=no] (SNAPSHOT_OPTIONS), as apt users write for snapshot
// mirrors; this file checks, with the clock set past every Valid-Until they meet, that they still
// open, and that the same lines without the option are refused as expired (so the product's
// freshness check is not what lets them through). The freshness tests proper are freshness.test.ts.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CrossrootError } from '../../src/errors.js';
import { openSource } from '../../src/repository/archive.js';
import { Cache } from '../../src/repository/cache.js';
import { DEFAULT_KEYRING } from '../../src/repository/signature.js';
import { parseSourcesList } from '../../src/repository/sources.js';
import { crossroot, REPO_ROOT } from '../support/cli.js';
import { hostMirrorLines, mirrorLineParts, SNAPSHOT_OPTIONS } from '../support/real-debs.js';
import { suiteMirrorLines } from '../support/suite-oracle.js';

const DAY = 86_400_000;
let work = '';
let lines: string[] = [];
/** Each line's Release Valid-Until as the mirror serves it (read with Date.parse, not crossroot's parser). */
const validUntil = new Map<string, number | undefined>();

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'crossroot-snapshot-expiry-'));
  lines = [...(await hostMirrorLines('bookworm')), ...(await suiteMirrorLines('trixie'))];
  for (const line of lines) {
    const { uri, suite } = mirrorLineParts(line);
    const text = await (await fetch(`${uri}/dists/${suite}/InRelease`)).text();
    const vu = /^Valid-Until: (.*)$/m.exec(text)?.[1];
    validUntil.set(line, vu === undefined ? undefined : Date.parse(vu));
  }
}, 120_000);
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe("the tests' lines for the host's snapshot mirror", () => {
  it('carry [check-valid-until=no] on every line (bookworm with -updates and -security, trixie likewise)', () => {
    expect(lines).toHaveLength(6);
    for (const line of lines) expect(mirrorLineParts(line).options, line).toBe(SNAPSHOT_OPTIONS);
    // The premise: some of these Releases do expire (else the option would be for nothing).
    expect([...validUntil.values()].filter((v) => v !== undefined).length).toBeGreaterThan(0);
  });

  it('still open one day after the latest Valid-Until among them, with a note naming the skipped check; without the option the same Releases are refused as expired', async () => {
    const latest = Math.max(...[...validUntil.values()].filter((v): v is number => v !== undefined));
    const clock = () => latest + DAY;
    const cache = new Cache(join(work, 'cache'));
    for (const line of lines) {
      const notes: string[] = [];
      const [entry] = parseSourcesList(line);
      const src = await openSource(entry!, { cache, keyrings: [DEFAULT_KEYRING], insecure: false, clock, onExpiryIgnored: (file, why) => notes.push(`${file}: ${why}`) });
      expect(src.release.suite ?? src.release.codename).toBeDefined();
      if (validUntil.get(line) === undefined) {
        expect(notes, line).toEqual([]);
        continue;
      }
      expect(notes, line).toHaveLength(1);
      expect(notes[0]).toMatch(/Valid-Until .*, already past, NOT checked \(check-valid-until=no\)$/);
      const [strict] = parseSourcesList(line.replace(`${SNAPSHOT_OPTIONS} `, ''));
      expect(strict!.checkValidUntil).toBeUndefined();
      const err = await openSource(strict!, { cache, keyrings: [DEFAULT_KEYRING], insecure: false, clock }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, line).toBeInstanceOf(CrossrootError);
      expect((err as CrossrootError).code).toBe('REPO_RELEASE_EXPIRED');
      expect((err as CrossrootError).message).toContain('Release expired: Valid-Until');
    }
  }, 120_000);

  it('resolve bookworm through crossroot today (exit 0), with one note per line whose Release has a Valid-Until', async () => {
    const bookworm = await hostMirrorLines('bookworm');
    const r = await crossroot(['resolve', '--arch', 'amd64', '--variant', 'essential', '--cache-dir', join(REPO_ROOT, '.cache', 'archive'), 'bookworm', ...bookworm]);
    expect(r.code, r.stderr).toBe(0);
    const expiring = bookworm.filter((l) => validUntil.get(l) !== undefined).map((l) => mirrorLineParts(l).suite);
    const notes = r.stderr.split('\n').filter((l) => l.includes('NOT checked (check-valid-until=no)'));
    expect(notes.map((l) => /\/dists\/([^/]+)\/InRelease:/.exec(l)?.[1])).toEqual(expiring);
  }, 300_000);
});
