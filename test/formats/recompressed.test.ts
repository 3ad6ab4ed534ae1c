// The same package re-compressed by dpkg-deb (gzip, zstd, none) inspects identically.
import { mkdtemp, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crossroot, runBuffer } from '../support/cli.js';
import { oracleFileList } from '../support/oracle-deb.js';
import { realDebs } from '../support/real-debs.js';

let work = '';
let debs: string[] = [];

beforeAll(async () => {
  debs = (await realDebs({ suite: 'bookworm', arch: 'amd64', variant: 'buildd' })).debs;
  work = await mkdtemp(join(tmpdir(), 'crossroot-recompress-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

// Packages with conffiles and scripts (dpkg), hardlinks (perl-base), many files (coreutils).
const PICKS = ['dpkg_', 'perl-base_', 'coreutils_', 'libc6_'];

describe('re-compressed copies', () => {
  for (const pick of PICKS) {
    it(`${pick.slice(0, -1)}: gzip, zstd and uncompressed copies give the same inspect --json`, async () => {
      const deb = debs.find((d) => basename(d).startsWith(pick));
      expect(deb, pick).toBeDefined();
      const original = await crossroot(['inspect', '--json', deb!]);
      expect(original.code).toBe(0);
      const tree = join(work, pick);
      await runBuffer('dpkg-deb', ['-R', deb!, tree]);
      // dpkg-deb -R adds DEBIAN/ to the top directory and does not restore every directory's
      // mtime: put them back from the original's listing, deepest first.
      const dirs = ((await oracleFileList(deb!)) as { path: string; type: string; mtime: number }[]).filter((f) => f.type === 'dir');
      for (const d of dirs.reverse()) await utimes(join(tree, d.path), d.mtime, d.mtime);
      for (const z of ['gzip', 'zstd', 'none']) {
        const copy = join(work, `${pick}${z}.deb`);
        // Without the caller's SOURCE_DATE_EPOCH: dpkg-deb would clamp every mtime to it.
        const { SOURCE_DATE_EPOCH: _, ...env } = process.env;
        await runBuffer('dpkg-deb', [`-Z${z}`, '-b', tree, copy], { env });
        const members = (await runBuffer('ar', ['t', copy])).toString();
        expect(members).toContain(z === 'none' ? 'data.tar\n' : `data.tar.${z === 'gzip' ? 'gz' : 'zst'}\n`);
        const again = await crossroot(['inspect', '--json', copy]);
        expect(again.code, again.stderr).toBe(0);
        expect(JSON.parse(again.stdout), `${pick} ${z}`).toEqual(JSON.parse(original.stdout));
      }
    }, 300_000);
  }
});
