// The qemu-user a reference takes from the archive is registered in a binfmt_misc of its own
// (a user namespace's, Linux ≥ 6.7), never in the host's: the host's registry (read here from
// /proc before, during and after, the oracle) does not change, not even when the process tree
// is killed; inside, the entry is exactly the package's own binfmt.d line with our name, our
// binary and the F flag; without root it is refused with exit 4.
import { chmod, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnWithPrivateBinfmt } from '../../src/install/private-binfmt.js';
import { archiveEmulator } from '../support/ldconfig-oracle.js';
import { suiteMirrorLines } from '../support/suite-oracle.js';
import { CLI, run } from '../support/cli.js';

const BINFMT = '/proc/sys/fs/binfmt_misc';
const root = process.getuid?.() === 0;
const work = await mkdtemp(join(tmpdir(), 'crossroot-private-binfmt-'));
afterAll(() => rm(work, { recursive: true, force: true }));

/** The host's registry: every entry's name and text. */
async function hostRegistry(): Promise<string> {
  const names = (await readdir(BINFMT)).filter((n) => n !== 'register').sort();
  return (await Promise.all(names.map(async (n) => `${n}\n${await readFile(join(BINFMT, n), 'utf8')}`))).join('\n');
}

function collect(child: import('node:child_process').ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }> {
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, out })));
}

describe('a private binfmt_misc for the archive qemu', () => {
  it.skipIf(!root)(`holds only our entry, F flag and the package's magic, and leaves the host's registry as it was${root ? '' : ' — skipped: not root'}`, { timeout: 600_000 }, async () => {
    const e = await archiveEmulator('loong64', 'sid');
    expect(e.kind).toBe('archive');
    expect(e.package).toBe('qemu-user');
    const before = await hostRegistry();
    const child = await spawnWithPrivateBinfmt('/bin/sh', ['-c', `ls ${BINFMT}; cat ${BINFMT}/crossroot-loongarch64; sleep 2`], e.binfmt!, ['ignore', 'pipe', 'pipe']);
    const during = await hostRegistry();
    const r = await collect(child);
    expect(r.code, r.out).toBe(0);
    // The package's own line, from its .deb (dpkg-deb, not crossroot's reader, as the oracle).
    const deb = join(work, 'qemu');
    const fetched = await run('curl', ['-sSf', '-o', join(work, 'q.deb'), e.origin]);
    expect(fetched.code, fetched.stderr).toBe(0);
    expect((await run('dpkg-deb', ['-x', join(work, 'q.deb'), deb])).code).toBe(0);
    const conf = (await readFile(join(deb, 'usr/share/qemu/binfmt.d/qemu-loongarch64.conf'), 'utf8')).trim().split(':');
    const hex = (s: string) => s.replace(/\\x/g, '');
    expect(r.out).toContain(`interpreter ${e.path}\n`);
    expect(r.out).toMatch(/^flags: [A-Z]*F[A-Z]*$/m);
    expect(r.out).toContain(`magic ${hex(conf[4]!)}\n`);
    expect(r.out).toContain(`mask ${hex(conf[5]!)}\n`);
    expect(r.out.split('\n').slice(0, 3)).toEqual(['crossroot-loongarch64', 'register', 'status']);
    // The same binary the package ships.
    expect((await run('cmp', [e.path!, join(deb, 'usr/bin/qemu-loongarch64')])).code).toBe(0);
    expect(during).toBe(before);
    expect(await hostRegistry()).toBe(before);
  });

  it.skipIf(!root)(`dies with its process tree: SIGKILL leaves nothing in the host's registry${root ? '' : ' — skipped: not root'}`, { timeout: 600_000 }, async () => {
    const e = await archiveEmulator('loong64', 'sid');
    const before = await hostRegistry();
    const child = await spawnWithPrivateBinfmt('/bin/sleep', ['60'], e.binfmt!, ['ignore', 'pipe', 'pipe']);
    const done = collect(child);
    child.kill('SIGKILL');
    expect((await done).signal).toBe('SIGKILL');
    expect(await hostRegistry()).toBe(before);
    expect(before).not.toContain('crossroot-');
  });

  it('is refused without root: verify exits 4 saying so, and report.json says host-error', { timeout: 600_000 }, async () => {
    const report = join(work, 'report-nobody');
    const home = join(work, 'home-nobody');
    await run('mkdir', ['-p', report, home]);
    await chmod(work, 0o755);
    await run('chown', ['65534:65534', report, home]);
    const [line] = await suiteMirrorLines('sid');
    const asNobody = root ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'] : [];
    const r = await run(asNobody[0] ?? process.execPath, [...asNobody.slice(1), ...(asNobody.length > 0 ? [process.execPath] : []), CLI,
      'verify', '--arch', 'loong64', '--report', report, 'sid', line!], { env: { ...process.env, HOME: home, XDG_CACHE_HOME: join(home, 'cache') } });
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toContain('loong64 binaries cannot run on this');
    expect(r.stderr).toContain('needs root');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const doc = JSON.parse(await readFile(join(report, 'report.json'), 'utf8'));
    expect([doc.verdict, doc.error.code]).toEqual(['host-error', 'HOST_NO_EMULATION']);
  });
});
