// The README's main command end to end: verify bookworm arm64 essential, and check its verdict.
import { access, mkdtemp, readFile, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, run } from '../support/cli.js';
import { withEmulation } from '../support/emulation.js';
import { mirrorArgument, mmdebstrapTarball } from '../support/mmdebstrap-oracle.js';
import { differingMembers, gnuTarView } from '../support/tar-oracle.js';

let work = '';
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'crossroot-verify-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('crossroot verify --arch arm64 --variant essential bookworm (the main job)', () => {
  it('writes the report directory; its verdict and differing members agree with cmp and GNU tar; the reference equals mmdebstrap --mode=root', async () => {
    const report = join(work, 'report');
    // The lines mmdebstrap is given below (the host's mirror, a snapshot: SNAPSHOT_OPTIONS), so
    // that both roots hold the same etc/apt/sources.list.
    const mirror = await mirrorArgument();
    const r = await withEmulation('arm64', () =>
      run('bash', ['ci/main-job.sh', mirror], {
        cwd: REPO_ROOT,
        env: { ...process.env, CROSSROOT_REPORT: report, SOURCE_DATE_EPOCH: '1700000000' },
      }),
    );
    expect([0, 1], r.stderr.split('\n').slice(-20).join('\n')).toContain(r.code);
    for (const f of ['bookworm-arm64-essential.lock', 'chrootless.tar', 'reference.tar', 'chrootless.manifest', 'reference.manifest', 'report.json', 'report.txt', 'junit.xml', 'report.html']) {
      await access(join(report, f));
    }
    const json = JSON.parse(await readFile(join(report, 'report.json'), 'utf8')) as { identical: boolean; differences: { member: string }[] };
    const cmp = await run('cmp', [join(report, 'reference.tar'), join(report, 'chrootless.tar')]);
    // The verdict: exit code, report and cmp agree.
    expect(json.identical).toBe(r.code === 0);
    expect(json.identical).toBe(cmp.code === 0);
    // The members: what crossroot reports is what GNU tar's listing and extraction show.
    const reported = [...new Set(json.differences.map((d) => d.member.replace(/^\//, '')))].sort();
    const oracle = differingMembers(await gnuTarView(join(report, 'reference.tar')), await gnuTarView(join(report, 'chrootless.tar')));
    expect(reported).toEqual(oracle);
    // The reference is the normal build: byte-identical to mmdebstrap --mode=root (under qemu).
    const mm = await mmdebstrapTarball({ mode: 'root', arch: 'arm64', variant: 'essential', sourceDateEpoch: 1_700_000_000 });
    expect((await run('cmp', [mm, join(report, 'reference.tar')])).code).toBe(0);
    // Which qemu built the reference: the host's binfmt entry, its binary and the package that
    // ships it, as /proc and dpkg-query say; report.html names them too.
    const cell = (JSON.parse(await readFile(join(report, 'report.json'), 'utf8')) as { cell: { emulator: Record<string, string> } }).cell;
    const interpreter = /^interpreter (.*)$/m.exec(await readFile('/proc/sys/fs/binfmt_misc/qemu-aarch64', 'utf8'))![1]!;
    const binary = await realpath(interpreter);
    const owner = (await run('dpkg-query', ['-S', binary])).stdout.split(':')[0]!;
    const version = (await run('dpkg-query', ['-W', '-f', '${Version}', owner])).stdout;
    expect(cell.emulator).toEqual({ kind: 'host', package: owner, version, path: binary, origin: 'binfmt_misc /proc/sys/fs/binfmt_misc/qemu-aarch64' });
    expect(await readFile(join(report, 'report.html'), 'utf8')).toContain(`${owner} ${version}: <code>${binary}</code> (the host's binfmt_misc`);
    // The manifests have one line per member.
    const manifest = (await readFile(join(report, 'reference.manifest'), 'utf8')).trim().split('\n');
    const listing = (await run('tar', ['-tf', join(report, 'reference.tar')])).stdout.trim().split('\n');
    expect(manifest.length).toBe(listing.length);
  }, 2_400_000);
});
