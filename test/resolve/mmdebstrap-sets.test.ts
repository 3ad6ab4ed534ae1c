// The resolved set equals the set mmdebstrap installs, for bookworm × {amd64, arm64, i386, s390x} × {essential, buildd}.
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { crossroot, REPO_ROOT } from '../support/cli.js';
import { hostMirrorLines, realDebs } from '../support/real-debs.js';

/** name version arch of a .deb as apt stores it in its archives ("%3a" for the epoch colon). */
function fromFilename(deb: string): string {
  const [name, version, arch] = basename(deb, '.deb').split('_');
  return `${name} ${decodeURIComponent(version!)} ${arch}`;
}

const CACHE = join(REPO_ROOT, '.cache', 'archive');

// The host's mirror serves a bookworm-security i386 Packages.xz that does not match its
// InRelease (measured 2026-11-22: 346968 bytes where 364028 are listed, by-hash 404). apt
// refuses it, and so does crossroot; for i386 both sides therefore use bookworm and
// bookworm-updates alone. The other architectures use all three suites.
const WITHOUT_SECURITY = new Set(['i386']);

describe('resolve agrees with mmdebstrap --hook-dir=.../merged-usr', () => {
  for (const arch of ['amd64', 'arm64', 'i386', 's390x']) {
    for (const variant of ['essential', 'buildd'] as const) {
      it(`bookworm ${arch} ${variant}`, async () => {
        const withoutSecurity = WITHOUT_SECURITY.has(arch);
        const { debs } = await realDebs({ suite: 'bookworm', arch, variant, withoutSecurity });
        const expected = debs.map(fromFilename).sort();
        // No mirror: the host's apt sources for bookworm, -updates and -security, as the oracle used.
        const mirrors = withoutSecurity ? [(await hostMirrorLines('bookworm')).filter((l) => !l.includes('-security ')).join('\n')] : [];
        const r = await crossroot(['resolve', '--arch', arch, '--variant', variant, '--cache-dir', CACHE, 'bookworm', ...mirrors]);
        expect(r.code, r.stderr).toBe(0);
        const got = r.stdout.split('\n').filter((l) => l !== '' && !l.startsWith('#')).sort();
        expect(got).toEqual(expected);
        expect(got.length).toBeGreaterThan(variant === 'essential' ? 50 : 120);
      }, 600_000);
    }
  }
});
