// crossroot build of trixie and sid against each suite's own mmdebstrap --mode=root, run inside a
// root of that suite (its apt, dpkg, tar, helpers): byte for byte. The judge of the package set,
// the skeleton and the installation together; `verify` alone shares its set and skeleton.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crossroot, REPO_ROOT, run } from '../support/cli.js';
import { withoutEmulation } from '../support/emulation.js';
import { suiteMirrorLines, suiteMmdebstrapTarball } from '../support/suite-oracle.js';

const SDE = 1_700_000_000;
const CACHE = join(REPO_ROOT, '.cache', 'archive');
let work = '';

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'crossroot-suite-oracle-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function cmp(a: string, b: string): Promise<boolean> {
  if ((await run('cmp', [a, b])).code === 0) return true;
  console.error((await crossroot(['compare', a, b])).stdout.slice(0, 4000));
  return false;
}

const CELLS = [
  ['trixie', 'amd64', 'essential'],
  ['trixie', 'arm64', 'essential'],
  ['trixie', 'amd64', 'buildd'],
  ['sid', 'amd64', 'essential'],
  ['sid', 'arm64', 'buildd'],
] as const;

describe("crossroot build equals the suite's own mmdebstrap --mode=root, run in a root of the suite (SOURCE_DATE_EPOCH fixed, the host's http mirror)", () => {
  for (const [suite, arch, variant] of CELLS) {
    const foreign = arch !== 'amd64';
    it(`${suite} ${arch} ${variant}${foreign ? `, built with binfmt for ${arch} switched off` : ''}`, async () => {
      const lines = await suiteMirrorLines(suite);
      const ref = await suiteMmdebstrapTarball({ suite, arch, variant, sourceDateEpoch: SDE });
      const out = join(work, `${suite}-${arch}-${variant}.tar`);
      const build = async () => {
        const r = await crossroot(['build', '--cache-dir', CACHE, '--arch', arch, '--variant', variant, suite, out, ...lines], {
          env: { ...process.env, SOURCE_DATE_EPOCH: String(SDE) },
        });
        expect(r.code, r.stderr.split('\n').slice(-20).join('\n')).toBe(0);
      };
      if (foreign) {
        await withoutEmulation(arch, async () => {
          expect((await run('arch-test', [arch])).code).not.toBe(0);
          await build();
        });
      } else {
        await build();
      }
      expect(await cmp(ref, out)).toBe(true);
    }, 2_400_000);
  }

  for (const suite of ['trixie', 'sid'] as const) {
    it(`${suite} amd64 essential with --installer=dpkg (the tools root's own dpkg --force-script-chrootless)`, async () => {
      const lines = await suiteMirrorLines(suite);
      const ref = await suiteMmdebstrapTarball({ suite, arch: 'amd64', variant: 'essential', sourceDateEpoch: SDE });
      const out = join(work, `${suite}-dpkg.tar`);
      const r = await crossroot(['build', '--installer', 'dpkg', '--cache-dir', CACHE, suite, out, ...lines], {
        env: { ...process.env, SOURCE_DATE_EPOCH: String(SDE) },
      });
      expect(r.code, r.stderr.split('\n').slice(-20).join('\n')).toBe(0);
      expect(await cmp(ref, out)).toBe(true);
    }, 1_200_000);
  }
});
