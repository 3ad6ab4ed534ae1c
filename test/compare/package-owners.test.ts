// Whose is a differing member: packageOwners against dpkg-query -S on a root real dpkg installed, and report.html's package column.
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareTrees } from '../../src/compare/compare.js';
import { packageOwners } from '../../src/compare/package-owners.js';
import { htmlReport } from '../../src/compare/report-html.js';
import { openTree } from '../../src/compare/tree-source.js';
import { hostDecompressor } from '../../src/host/decompress.js';
import { run } from '../support/cli.js';
import { copyTree, removeDir, tarTree, workDir } from './trees.js';

let work = '';
let root = '';
const MEMBERS = ['/usr/bin/owned-tool', '/usr/share/owned/data', '/usr/bin', '/etc/generated.conf', '/'];

async function ok(cmd: string, args: string[]): Promise<string> {
  const r = await run(cmd, args);
  expect(r.code, `${cmd} ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

beforeAll(async () => {
  work = await workDir('owners');
  // Two packages, built by dpkg-deb and installed by dpkg into an empty root: dpkg writes the .list files.
  for (const [pkg, files] of [['owned-a', ['usr/bin/owned-tool']], ['owned-b', ['usr/share/owned/data', 'usr/bin/other']]] as const) {
    const src = join(work, pkg);
    await mkdir(join(src, 'DEBIAN'), { recursive: true });
    await writeFile(join(src, 'DEBIAN/control'), `Package: ${pkg}\nVersion: 1\nArchitecture: all\nMaintainer: t <t@example.org>\nDescription: test\n`);
    for (const f of files) {
      await mkdir(join(src, f, '..'), { recursive: true });
      await writeFile(join(src, f), `${f}\n`);
      await chmod(join(src, f), 0o755);
    }
    await ok('dpkg-deb', ['--root-owner-group', '--build', src, join(work, `${pkg}.deb`)]);
  }
  root = join(work, 'root');
  for (const d of ['var/lib/dpkg/info', 'var/lib/dpkg/updates', 'etc']) await mkdir(join(root, d), { recursive: true });
  await writeFile(join(root, 'var/lib/dpkg/status'), '');
  await ok('dpkg', ['--root', root, '--force-script-chrootless', '--force-not-root', '--log=/dev/null', '-i', join(work, 'owned-a.deb'), join(work, 'owned-b.deb')]);
  await writeFile(join(root, 'etc/generated.conf'), 'made by a script\n');
});
afterAll(() => removeDir(work));

describe('packageOwners', () => {
  it('names the packages dpkg-query -S names, and none for a file no package ships', async () => {
    await tarTree(root, join(work, 'root.tar'));
    const owners = await packageOwners(await openTree(join(work, 'root.tar'), { decompressor: hostDecompressor() }), MEMBERS);
    for (const m of MEMBERS) {
      const q = await run('dpkg-query', [`--admindir=${join(root, 'var/lib/dpkg')}`, '-S', m]);
      // "pkg1, pkg2: /path" per line; exit 1: no package ships it
      const oracle = q.code === 0 ? q.stdout.trim().split('\n').filter((l) => l.endsWith(`: ${m}`)).flatMap((l) => l.slice(0, l.lastIndexOf(': ')).split(', ')).sort() : undefined;
      expect(owners.get(m), m).toEqual(oracle);
    }
    expect(owners.get('/etc/generated.conf')).toBeUndefined();
  });

  it("report.html's package column: the shipping package, or generated", async () => {
    const changed = join(work, 'changed');
    await copyTree(root, changed);
    await writeFile(join(changed, 'usr/bin/owned-tool'), 'changed\n');
    await writeFile(join(changed, 'etc/generated.conf'), 'made differently\n');
    await tarTree(root, join(work, 'a.tar'));
    await tarTree(changed, join(work, 'b.tar'));
    const d = hostDecompressor();
    const a = await openTree(join(work, 'a.tar'), { decompressor: d });
    const c = await compareTrees(a, await openTree(join(work, 'b.tar'), { decompressor: d }));
    const html = htmlReport(c, { owners: await packageOwners(a, c.differences.map((x) => x.member)) });
    expect(html).toContain('<tr><td class="member">/etc/generated.conf</td><td class="generated">generated (no package ships it)</td>');
    expect(html).toContain('<tr><td class="member">/usr/bin/owned-tool</td><td>owned-a</td>');
  });
});
