// crossroot build --lock: exactly the locked packages, or a clear error.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crossroot, REPO_ROOT, runBuffer } from '../support/cli.js';
import { hostMirrorLines } from '../support/real-debs.js';

const SDE = '1700000000';
const CACHE = join(REPO_ROOT, '.cache', 'archive');
let work = '';
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'crossroot-lock-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** Package and version of each stanza of a lockfile (deb822), in order. */
function lockedVersions(text: string): string[] {
  return text
    .split('\n\n')
    .map((s) => [/^Package: (.*)$/m.exec(s)?.[1], /^Version: (.*)$/m.exec(s)?.[1]])
    .filter(([p, v]) => p !== undefined && v !== undefined)
    .map(([p, v]) => `${p} ${v}`)
    .sort();
}

/** Package and version of every installed package in a tarball's var/lib/dpkg/status, read by GNU tar and dpkg-query. */
async function installedVersions(tarball: string): Promise<string[]> {
  const dir = await mkdtemp(join(work, 'status-'));
  await runBuffer('tar', ['-x', '-f', tarball, '-C', dir, './var/lib/dpkg/status']);
  const out = await runBuffer('dpkg-query', [`--admindir=${join(dir, 'var/lib/dpkg')}`, '-W', '-f', '${Package} ${Version}\\n']);
  return out.toString().split('\n').filter(Boolean).sort();
}

describe('crossroot build --lock', () => {
  it('installs the locked versions where the mirror has newer ones, and the result is stable', async () => {
    const lines = await hostMirrorLines('bookworm');
    // The lock is resolved from the release alone; the build sees bookworm-updates and -security too.
    const lock = join(work, 'release-only.lock');
    const r = await crossroot(['resolve', '--cache-dir', CACHE, '--lock', lock, 'bookworm', lines[0]!]);
    expect(r.code, r.stderr).toBe(0);
    const newest = join(work, 'newest.lock');
    expect((await crossroot(['resolve', '--cache-dir', CACHE, '--lock', newest, 'bookworm', ...lines])).code).toBe(0);
    const locked = lockedVersions(await readFile(lock, 'utf8'));
    // Meaningful only if updates or security bring something newer for the essential set.
    expect(lockedVersions(await readFile(newest, 'utf8'))).not.toEqual(locked);

    const env = { ...process.env, SOURCE_DATE_EPOCH: SDE };
    const a = join(work, 'a.tar');
    const b = await crossroot(['build', '--cache-dir', CACHE, '--lock', lock, 'bookworm', a, ...lines], { env });
    expect(b.code, b.stderr.split('\n').slice(-15).join('\n')).toBe(0);
    expect(await installedVersions(a)).toEqual(locked);
    // Twice from the same lock: the same bytes.
    const a2 = join(work, 'a2.tar');
    expect((await crossroot(['build', '--cache-dir', CACHE, '--lock', lock, 'bookworm', a2, ...lines], { env })).code).toBe(0);
    const [h1, h2] = (await runBuffer('sha256sum', [a, a2])).toString().split('\n').map((l) => l.split(' ')[0]);
    expect(h1).toBe(h2);
  }, 900_000);

  it('a locked file the mirror does not have is exit 3 naming the package; a lock for another variant is exit 2', async () => {
    const lines = await hostMirrorLines('bookworm');
    const lock = join(work, 'ok.lock');
    expect((await crossroot(['resolve', '--cache-dir', CACHE, '--lock', lock, 'bookworm', ...lines])).code).toBe(0);
    const text = await readFile(lock, 'utf8');
    const stanza = text.split('\n\n').find((s) => /^Package: dash$/m.test(s))!;
    const sha = /^SHA256: (.*)$/m.exec(stanza)![1]!;
    const bad = join(work, 'bad.lock');
    await writeFile(bad, text.replace(sha, 'f'.repeat(64)));
    const out = join(work, 'bad.tar');
    const r = await crossroot(['build', '--cache-dir', CACHE, '--lock', bad, 'bookworm', out, ...lines]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/dash .*is locked but not in the mirror's index/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const v = await crossroot(['build', '--cache-dir', CACHE, '--lock', lock, '--variant', 'buildd', 'bookworm', out, ...lines]);
    expect(v.code).toBe(2);
    expect(v.stderr).toMatch(/the lock is for variant essential, not buildd/);
    await expect(readFile(out)).rejects.toThrow();
  }, 600_000);
});
