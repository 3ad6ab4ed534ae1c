// Nothing from the host reaches the output: crossroot run on another suite as its host (a trixie
// root: its dpkg, dpkg-divert, update-alternatives, perl, debconf, pam-auth-update and
// /usr/share/pam, update-shells, GNU tar 1.35) builds a bookworm root with the same bytes as on
// this bookworm host. Measured before the tools root: 4,162 of 4,170 members differed.
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crossroot, REPO_ROOT, run } from '../support/cli.js';
import { inChroot, suiteHostRoot, suiteMirrorLines } from '../support/suite-oracle.js';

const SDE = 1_700_000_000;
let work = '';

beforeAll(async () => {
  // Not under TMPDIR: inside the chroot /tmp is a tmpfs of its own.
  work = await mkdtemp(join(REPO_ROOT, '.cache', 'host-tools-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('the host does not shape the output', () => {
  it('bookworm amd64 essential built inside a trixie root (as the host) equals the one built here', async () => {
    const lines = await suiteMirrorLines('bookworm');
    const host = await suiteHostRoot('trixie', { node: true });
    // The trixie root really is another suite's host: its tar and dpkg are not this host's.
    const theirTar = await inChroot(host, work, ['tar', '--version'], { PATH: '/usr/bin:/bin' });
    const ourTar = await run('tar', ['--version']);
    expect(theirTar.stdout.split('\n')[0]).not.toBe(ourTar.stdout.split('\n')[0]);

    const inside = await inChroot(
      host,
      work,
      ['node', join(REPO_ROOT, 'dist/cli/crossroot.mjs'), 'build', '--cache-dir', '/tmp/out/cache', 'bookworm', '/tmp/out/inside.tar', ...lines],
      { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', TMPDIR: '/tmp', SOURCE_DATE_EPOCH: String(SDE) },
      [REPO_ROOT],
    );
    expect(inside.code, inside.stderr.split('\n').slice(-15).join('\n')).toBe(0);

    const here = join(work, 'here.tar');
    const r = await crossroot(['build', '--cache-dir', join(REPO_ROOT, '.cache', 'archive'), 'bookworm', here, ...lines], {
      env: { ...process.env, SOURCE_DATE_EPOCH: String(SDE) },
    });
    expect(r.code, r.stderr.split('\n').slice(-15).join('\n')).toBe(0);
    const same = await run('cmp', [here, join(work, 'inside.tar')]);
    if (same.code !== 0) console.error((await crossroot(['compare', here, join(work, 'inside.tar')])).stdout.slice(0, 4000));
    expect(same.code).toBe(0);
  }, 1_800_000);
});
