// Decompression bombs: a data.tar that decodes far past what the package says it installs, and a
// control.tar that goes on decoding past its end. Each stops, with a coded error naming the
// limit, after at most the limit's bytes are decoded — not when the disk is full.
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CrossrootError, exitCodeFor } from '../../src/errors.js';
import { parseSingleParagraph } from '../../src/formats/deb822/parse.js';
import { DATA_CAP_WITHOUT_INSTALLED_SIZE, dataTarLimit } from '../../src/formats/deb/data-limit.js';
import { MAX_CONTROL_TAR, readDeb } from '../../src/formats/deb/read.js';
import { hostDecompressor } from '../../src/host/decompress.js';
import { TargetRoot } from '../../src/install/target-root.js';
import { unpackAll } from '../../src/install/unpack.js';
import { crossroot, REPO_ROOT, runBuffer } from '../support/cli.js';

const MIB = 1024 * 1024;
let work = '';
const bomb = (name: string) => join(work, name);

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'crossroot-bomb-'));
  const make = (out: string, kind: string, mib: number, installed?: string) =>
    runBuffer('python3', [join(REPO_ROOT, 'test/support/bomb-deb.py'), bomb(out), kind, String(mib), ...(installed === undefined ? [] : [installed])]);
  // 300 MiB of zeros in about 1.3 MB of .deb, claiming 1 KiB installed.
  await make('data.deb', 'data', 300, '1');
  // A control.tar whose end-of-archive is followed by 300 MiB of zeros.
  await make('control-padding.deb', 'control-padding', 300, '1');
}, 120_000);
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** Reads `deb` as unpacking does (every body to its end); counts the .deb bytes pulled and the data bytes decoded. */
async function readCounting(deb: string) {
  const counts = { compressed: 0, decoded: 0, total: (await stat(deb)).size };
  async function* source() {
    for await (const c of createReadStream(deb)) {
      counts.compressed += (c as Buffer).length;
      yield c as Buffer;
    }
  }
  const err = await readDeb(source(), {
    file: 'bomb.deb',
    decompressor: hostDecompressor(),
    onData: async ({ body }) => {
      for await (const c of body) counts.decoded += c.length;
    },
  }).then(
    () => undefined,
    (e: unknown) => e,
  );
  return { err, counts };
}

describe('decompression bombs', () => {
  it('a data.tar bomb (300 MiB of zeros, Installed-Size 1 KiB) is FORMAT_DEB_DATA_SIZE naming its limit, after at most 64 MiB + 1 KiB decoded', async () => {
    const { err, counts } = await readCounting(bomb('data.deb'));
    expect(err).toBeInstanceOf(CrossrootError);
    expect((err as CrossrootError).code).toBe('FORMAT_DEB_DATA_SIZE');
    expect(exitCodeFor(err as CrossrootError)).toBe(3);
    expect((err as Error).message).toBe(
      'bomb.deb: data.tar.gz: data archive expands past 67109888 bytes, the limit for this package: max(4 × Installed-Size, Installed-Size + 64 MiB) for Installed-Size 1 KiB',
    );
    expect(counts.decoded).toBeLessThanOrEqual(64 * MIB + 1024);
    expect(counts.compressed).toBeLessThan(counts.total);
  }, 60_000);

  it('unpacking the data.tar bomb into a root writes no more than its limit, and the CLI says so in one line, exit 3', async () => {
    const root = join(work, 'root');
    await mkdir(root);
    const err = await unpackAll([bomb('data.deb')], new TargetRoot(root), { decompressor: hostDecompressor(), jobs: 1 }).catch((e: unknown) => e);
    expect((err as CrossrootError).code).toBe('FORMAT_DEB_DATA_SIZE');
    const du = Number((await runBuffer('du', ['-sb', root])).toString().split('\t')[0]);
    expect(du).toBeLessThanOrEqual(64 * MIB + 1024 + 64 * 1024);
    const r = await crossroot(['inspect', bomb('data.deb')]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(/^crossroot: .*data\.deb: data\.tar\.gz: data archive expands past 67109888 bytes, the limit for this package: max\(4 × Installed-Size, Installed-Size \+ 64 MiB\) for Installed-Size 1 KiB$/)]);
  }, 120_000);

  it('a control.tar padded with 300 MiB of zeros past its end is refused at 64 MiB, before the stream is decoded', async () => {
    const { err, counts } = await readCounting(bomb('control-padding.deb'));
    expect((err as CrossrootError).code).toBe('FORMAT_DEB_CONTROL_SIZE');
    expect(exitCodeFor(err as CrossrootError)).toBe(3);
    expect((err as Error).message).toBe(`bomb.deb: control.tar.gz: control archive larger than ${MAX_CONTROL_TAR} bytes`);
    expect(counts.compressed).toBeLessThan(counts.total / 2);
    expect(counts.decoded).toBe(0);
  }, 60_000);

  it('the limit: max(4 × Installed-Size, Installed-Size + 64 MiB); 4 GiB for a package without (or with an invalid) Installed-Size', () => {
    const limit = (fields: string) => dataTarLimit(parseSingleParagraph(`Package: p\n${fields}`, { file: 'p' }));
    expect(limit('Installed-Size: 1024\n').bytes).toBe(65 * MIB);
    expect(limit('Installed-Size: 102400\n').bytes).toBe(400 * MIB);
    expect(limit('')).toEqual({ bytes: DATA_CAP_WITHOUT_INSTALLED_SIZE, why: 'the cap of 4096 MiB for a package without Installed-Size' });
    expect(limit('Installed-Size: 12e9\n').why).toBe('the cap of 4096 MiB for a package with an invalid ("12e9") Installed-Size');
  });
});
