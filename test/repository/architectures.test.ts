// A source whose Release does not list the architecture, as apt treats it: skipped with a note,
// unless it is the suite asked for (then there is nothing to resolve: exit 3 naming it).
// The archive's own fact used here: since bookworm became oldstable, bookworm-security's
// Release lists "Architectures: amd64 arm64 armhf i386 ppc64el" — no s390x.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { crossroot, REPO_ROOT } from '../support/cli.js';
import { hostMirrorLines, mirrorLineParts } from '../support/real-debs.js';

const CACHE = join(REPO_ROOT, '.cache', 'archive');
let lines: string[] = [];

/** The `Architectures:` field of a suite's InRelease, as the mirror serves it. */
async function releaseArchitectures(line: string): Promise<string[]> {
  const { uri, suite } = mirrorLineParts(line);
  const text = await (await fetch(`${uri}/dists/${suite}/InRelease`)).text();
  return (/^Architectures: (.*)$/m.exec(text)?.[1] ?? '').split(' ');
}

function resolve(arch: string, suite: string, sources: string[]) {
  return crossroot(['resolve', '--arch', arch, '--cache-dir', CACHE, suite, sources.join('\n')]);
}

function packageLines(stdout: string): string[] {
  return stdout.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
}

beforeAll(async () => {
  lines = await hostMirrorLines('bookworm');
  // The premise, from the mirror itself: bookworm has s390x, bookworm-security does not.
  expect(await releaseArchitectures(lines[0]!)).toContain('s390x');
  expect(await releaseArchitectures(lines[2]!)).not.toContain('s390x');
});

describe('a source without the architecture', () => {
  it('another suite (bookworm-security for s390x) is skipped with a note: the set is the one without it', async () => {
    const all = await resolve('s390x', 'bookworm', lines);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stderr).toMatch(/note: skipping \S+ bookworm-security: its Release lists no s390x/);
    const without = await resolve('s390x', 'bookworm', lines.slice(0, 2));
    expect(without.code, without.stderr).toBe(0);
    expect(packageLines(all.stdout)).toEqual(packageLines(without.stdout));
    expect(packageLines(all.stdout).length).toBeGreaterThan(50);
  }, 600_000);

  it('the suite asked for: exit 3 naming its Release and the architecture, no stack trace', async () => {
    const r = await resolve('s390x', 'bookworm-security', [lines[2]!]);
    expect(r.code, r.stderr).toBe(3);
    // Before it, the note that the line's check-valid-until=no skips a check (SNAPSHOT_OPTIONS).
    const errors = r.stderr.trim().split('\n').filter((l) => !/^crossroot: note: \S+: Valid-Until .*NOT checked \(check-valid-until=no\)$/.test(l));
    expect(errors, r.stderr).toHaveLength(1);
    expect(errors[0]).toMatch(/^crossroot: \S+\/dists\/bookworm-security\/Release: bookworm-security has no s390x packages/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }, 600_000);
});
