// inspect --json against dpkg-deb, GNU tar and Python's tarfile, for every deb of the bookworm buildd set.
import pLimit from 'p-limit';
import { basename } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { crossroot, runBuffer } from '../support/cli.js';
import { dpkgDebControl, dpkgDebField, oracleFileList } from '../support/oracle-deb.js';
import { realDebs } from '../support/real-debs.js';

let debs: string[] = [];

beforeAll(async () => {
  debs = (await realDebs({ suite: 'bookworm', arch: 'amd64', variant: 'buildd' })).debs;
});

interface Inspection {
  control: Record<string, string>;
  scripts: string[];
  conffiles: string[];
  files: unknown[];
}

async function inspect(deb: string): Promise<Inspection> {
  const r = await crossroot(['inspect', '--json', deb]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Inspection;
}

describe('inspect --json on the bookworm amd64 buildd set', () => {
  it('covers the whole set (essential + build-essential + apt)', () => {
    expect(debs.length).toBeGreaterThan(120);
    for (const p of ['libc6_', 'gcc-12_', 'apt_', 'dpkg-dev_', 'perl-modules-5.36_']) {
      expect(debs.some((d) => basename(d).startsWith(p)), p).toBe(true);
    }
  });

  it('every control field equals dpkg-deb -f, and the file list equals GNU tar + tarfile, scripts and conffiles equal the control archive', async () => {
    const limit = pLimit(2);
    let fields = 0;
    let files = 0;
    await Promise.all(
      debs.map((deb) =>
        limit(async () => {
          const [ours, whole, listing] = await Promise.all([inspect(deb), dpkgDebControl(deb), oracleFileList(deb)]);
          // Whole paragraph: same fields, same order, same values.
          const rendered = Object.entries(ours.control)
            .map(([k, v]) => `${k}: ${v}\n`)
            .join('');
          expect(rendered, basename(deb)).toBe(whole);
          // Field by field, as dpkg-deb -f DEB FIELD answers.
          for (const [k, v] of Object.entries(ours.control)) {
            expect(v, `${basename(deb)} ${k}`).toBe(await dpkgDebField(deb, k));
            fields++;
          }
          expect(ours.files, basename(deb)).toEqual(listing);
          // Scripts and conffiles, from the control archive as dpkg-deb hands it out.
          const members = (await runBuffer('sh', ['-c', 'dpkg-deb --ctrl-tarfile "$1" | tar -t', 'sh', deb])).toString().split('\n');
          const scripts = ['preinst', 'postinst', 'prerm', 'postrm', 'config'].filter((s) => members.includes(`./${s}`));
          expect(ours.scripts, basename(deb)).toEqual(scripts);
          const conffiles = members.includes('./conffiles')
            ? (await runBuffer('dpkg-deb', ['--info', deb, 'conffiles'])).toString().split('\n').filter(Boolean)
            : [];
          expect(ours.conffiles, basename(deb)).toEqual(conffiles.map((l) => l.split(' ').pop()));
          files += listing.length;
        }),
      ),
    );
    expect(fields).toBeGreaterThan(debs.length * 5);
    expect(files).toBeGreaterThan(10_000);
  }, 900_000);

});
