// Byte-level mutation fuzzing of the parsers that read what mirrors send (ar, tar, deb,
// deb822, Release, Packages, clearsigned): whatever the bytes, a parser returns a value or
// fails with a coded CrossrootError — never another exception, never a hang.
//
// `npm test` runs a fixed seed and a fixed number of runs per parser. A longer run on request:
//   CROSSROOT_FUZZ_RUNS=20000 [CROSSROOT_FUZZ_SEED=n] npx vitest run test/formats/fuzz.test.ts
// (a failure prints the seed and the shrunk counterexample to replay it).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CrossrootError } from '../../src/errors.js';
import { readAr } from '../../src/formats/ar.js';
import { pureDecompressor } from '../../src/formats/compression.js';
import { readDeb } from '../../src/formats/deb/read.js';
import { parseDeb822 } from '../../src/formats/deb822/parse.js';
import { splitClearsigned } from '../../src/formats/index/clearsigned.js';
import { readPackages } from '../../src/formats/index/packages.js';
import { parseRelease } from '../../src/formats/index/release.js';
import { readTar } from '../../src/formats/tar/read.js';
import { runBuffer } from '../support/cli.js';

const EVIL = fileURLToPath(new URL('../support/evil-deb.py', import.meta.url));
const RUNS = Number(process.env.CROSSROOT_FUZZ_RUNS ?? 0) || undefined;
const SEED = Number(process.env.CROSSROOT_FUZZ_SEED ?? 20261207);
/** A parse that takes this long is taken for a hang. */
const HANG_MS = 5_000;

// ---- mutations ----

type Mutation =
  | { op: 'set'; at: number; byte: number }
  | { op: 'flip'; at: number; bit: number }
  | { op: 'insert'; at: number; bytes: number[] }
  | { op: 'delete'; at: number; length: number }
  | { op: 'duplicate'; at: number; length: number; to: number }
  | { op: 'truncate'; at: number }
  | { op: 'digits'; at: number; text: string };

const position = fc.integer({ min: 0, max: 0x7fffffff });
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('set' as const), at: position, byte: fc.constantFrom(0, 0x0a, 0x20, 0x2d, 0x2e, 0x2f, 0x30, 0x37, 0x39, 0x3a, 0x7f, 0x80, 0xff) }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('flip' as const), at: position, bit: fc.integer({ min: 0, max: 7 }) }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('insert' as const), at: position, bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 16 }) }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('delete' as const), at: position, length: fc.integer({ min: 1, max: 600 }) }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('duplicate' as const), at: position, length: fc.integer({ min: 1, max: 1100 }), to: position }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('truncate' as const), at: position }), weight: 1 },
  // Numbers are where sizes, modes and lengths live: overwrite with digits, huge or negative ones.
  { arbitrary: fc.record({ op: fc.constant('digits' as const), at: position, text: fc.constantFrom('0', '9999999999', '77777777777', '-1', '1e9', ' ', '4294967296', '0x10', '00000001000') }), weight: 2 },
);

function mutate(seed: Buffer, mutations: Mutation[]): Buffer {
  let b = Buffer.from(seed);
  for (const m of mutations) {
    const at = b.length === 0 ? 0 : m.at % (b.length + (m.op === 'insert' ? 1 : 0));
    switch (m.op) {
      case 'set':
        if (b.length > 0) b[at] = m.byte;
        break;
      case 'flip':
        if (b.length > 0) b[at]! ^= 1 << m.bit;
        break;
      case 'insert':
        b = Buffer.concat([b.subarray(0, at), Buffer.from(m.bytes), b.subarray(at)]);
        break;
      case 'delete':
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.length)]);
        break;
      case 'duplicate': {
        const piece = b.subarray(at, at + m.length);
        const to = b.length === 0 ? 0 : m.to % b.length;
        b = Buffer.concat([b.subarray(0, to), piece, b.subarray(to)]);
        break;
      }
      case 'truncate':
        b = b.subarray(0, at);
        break;
      case 'digits':
        b = Buffer.concat([b.subarray(0, at), Buffer.from(m.text), b.subarray(Math.min(b.length, at + m.text.length))]);
        break;
    }
  }
  return b;
}

/**
 * Recomputes the checksum of every tar header in `b` (found by its `ustar` magic, at any
 * offset: inside a .deb too), so that a mutated header field reaches the parser instead of
 * failing the checksum first.
 */
function repairTarChecksums(b: Buffer): Buffer {
  for (let i = b.indexOf('ustar'); i >= 0; i = b.indexOf('ustar', i + 1)) {
    const h = i - 257;
    if (h < 0 || h + 512 > b.length) continue;
    b.fill(0x20, h + 148, h + 156);
    let sum = 0;
    for (let j = h; j < h + 512; j++) sum += b[j]!;
    b.write(`${sum.toString(8).padStart(6, '0')}\0 `, h + 148, 'latin1');
  }
  return b;
}

/** The bytes as a stream, cut at the given sizes (streaming parsers must take any chunking). */
async function* chunked(bytes: Buffer, sizes: number[]): AsyncGenerator<Buffer> {
  let at = 0;
  let i = 0;
  while (at < bytes.length) {
    const n = sizes.length === 0 ? bytes.length : sizes[i++ % sizes.length]!;
    yield bytes.subarray(at, at + n);
    at += n;
  }
}

const input = fc.record({
  mutations: fc.array(mutation, { minLength: 1, maxLength: 4 }),
  repair: fc.boolean(),
  chunks: fc.array(fc.integer({ min: 1, max: 4096 }), { maxLength: 4 }),
});

/** Runs `parse`; passes if it returns or throws a coded CrossrootError, fails on anything else or a hang. */
async function survives(parse: () => Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${HANG_MS} ms (a hang)`)), HANG_MS);
  });
  try {
    await Promise.race([parse(), hang]);
  } catch (err) {
    if (!(err instanceof CrossrootError)) throw err;
    // A one-line message with a code of a known layer.
    expect(err.code).toMatch(/^(FORMAT|REPO|RESOLVE|INSTALL)_[A-Z0-9_]+$/);
    expect(err.message).not.toContain('\n');
  } finally {
    clearTimeout(timer);
  }
}

async function fuzz(seeds: Buffer[], numRuns: number, parse: (bytes: Buffer, chunks: number[]) => Promise<unknown>): Promise<void> {
  // The seeds themselves parse (a mutation of garbage would test nothing).
  for (const s of seeds) await parse(s, []);
  await fc.assert(
    fc.asyncProperty(fc.nat({ max: seeds.length - 1 }), input, async (which, { mutations, repair, chunks }) => {
      const mutated = mutate(seeds[which]!, mutations);
      const bytes = repair ? repairTarChecksums(mutated) : mutated;
      await survives(() => parse(bytes, chunks));
    }),
    { seed: SEED, numRuns: RUNS ?? numRuns, endOnFailure: false },
  );
}

async function drain(body: AsyncIterable<Buffer>): Promise<number> {
  let n = 0;
  for await (const c of body) n += c.length;
  return n;
}

// ---- seeds ----

const CONTROL = `Package: fuzz-seed
Source: fuzz (1.0-1)
Version: 1:2.3~rc1-4+b1
Architecture: amd64
Multi-Arch: same
Installed-Size: 12
Pre-Depends: libc6 (>= 2.36)
Depends: libfoo1 (>= 1.0) | libbar, perl:any, base-files [amd64 !i386] <!nocheck>
Provides: fuzz-virtual (= 1.0)
Maintainer: Fuzz <fuzz@example.org>
Description: seed paragraph
 with a continuation line
 .
 and an empty one
`;

const RELEASE = `Origin: Debian
Label: Debian
Suite: stable
Codename: bookworm
Date: Sat, 08 Nov 2025 09:37:24 UTC
Valid-Until: Sat, 15 Nov 2025 09:37:24 UTC
Acquire-By-Hash: yes
Architectures: amd64 arm64
Components: main contrib
Description: Debian 12.12 Released 08 November 2025
MD5Sum:
 0ed6d4c8891eb86358b94bb35d9e4da4  1484322 contrib/Contents-all
SHA256:
 3957f28db16e3f28c7b34ae84f1c929c567de6970f3f1b95dac9b498dd80fe63   738242 contrib/Contents-all
 c8a8d4bcf53a7e3bcbc7d1fce6ea9ec0b2a8d3b1c0c8b7c11ab1f3e0c0b4a7a1     1234 main/binary-amd64/Packages.xz
 0000000000000000000000000000000000000000000000000000000000000000        0 main/binary-arm64/Release
`;

const PACKAGES = `Package: dash
Version: 0.5.12-2
Architecture: amd64
Maintainer: Debian Shell Maintainers <pkg-shells@example.org>
Installed-Size: 227
Pre-Depends: libc6 (>= 2.34)
Depends: debianutils (>= 5.6-0.1)
Essential: yes
Priority: required
Section: shells
Filename: pool/main/d/dash/dash_0.5.12-2_amd64.deb
Size: 95092
SHA256: 3957f28db16e3f28c7b34ae84f1c929c567de6970f3f1b95dac9b498dd80fe63
Description: POSIX-compliant shell

Package: libc6
Source: glibc
Version: 2.36-9+deb12u10
Architecture: amd64
Multi-Arch: same
Provides: libc6-amd64 (= 2.36)
Breaks: hurd (<< 1:0.9.git20170910-1)
Conflicts: libc6-dev (<< 2.36)
Filename: pool/main/g/glibc/libc6_2.36-9+deb12u10_amd64.deb
Size: 2757936
SHA256: c8a8d4bcf53a7e3bcbc7d1fce6ea9ec0b2a8d3b1c0c8b7c11ab1f3e0c0b4a7a1
Description: GNU C Library: Shared libraries
`;

const CLEARSIGNED = `-----BEGIN PGP SIGNED MESSAGE-----
Hash: SHA512

${RELEASE.replace(/\n$/, '')}
- -dash-escaped line
-----BEGIN PGP SIGNATURE-----

iQIzBAEBCgAdFiEEpyNohvPMyq0Uiif4DphATThvodkFAmkPDFQACgkQDphATThv
odlNsw/+KK0i1KHm9w1BTxGmYcu0z1Oj5XfnKOdmZ4I3RpHf7zj2Kh9T0A==
=bJWj
-----END PGP SIGNATURE-----
`;

let work = '';
const seeds: { deb: Buffer[]; tar: Buffer[]; ar: Buffer[] } = { deb: [], tar: [], ar: [] };

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'crossroot-fuzz-'));
  const members = [
    { name: './', type: 'dir' },
    { name: './usr/', type: 'dir' },
    { name: './usr/bin/', type: 'dir' },
    { name: './usr/bin/tool', type: 'file', data: '#!/bin/sh\necho fuzz\n', mode: 0o4755 },
    { name: `./usr/share/${'long-name-'.repeat(12)}`, type: 'file', data: 'long' }, // a GNU long name
    { name: './usr/bin/link', type: 'symlink', link: 'tool' },
    { name: './usr/bin/hard', type: 'hardlink', link: './usr/bin/tool' },
    { name: './dev/null', type: 'char', major: 1, minor: 3 },
  ];
  const deb = join(work, 'seed.deb');
  await runBuffer('python3', [EVIL, deb, JSON.stringify(members), 'fuzz-seed', 'Installed-Size: 12\nDepends: libc6 (>= 2.36)\n']);
  const bytes = await readFile(deb);
  seeds.deb.push(bytes);
  // The same package with gzip-compressed members, as real packages are (ar headers rewritten).
  const parts: Buffer[] = [];
  for await (const m of readAr(chunked(bytes, []))) parts.push(Buffer.from(await collectAll(m.body)));
  const [version, control, data] = parts as [Buffer, Buffer, Buffer];
  seeds.deb.push(arArchive([['debian-binary', version], ['control.tar.gz', gzipSync(control)], ['data.tar.gz', gzipSync(data)]]));
  seeds.tar.push(data, control);
  seeds.ar.push(bytes, arArchive([['debian-binary', version], ['odd', Buffer.from('odd-sized\n')], ['_ext', Buffer.alloc(0)]]));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function collectAll(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of body) out.push(Buffer.from(c));
  return Buffer.concat(out);
}

/** A common-format ar archive (deb(5)), as binutils `ar` writes it: 60-byte headers, even padding. */
function arArchive(members: [string, Buffer][]): Buffer {
  const out: Buffer[] = [Buffer.from('!<arch>\n')];
  for (const [name, data] of members) {
    const h = `${`${name}/`.padEnd(16)}${'0'.padEnd(12)}${'0'.padEnd(6)}${'0'.padEnd(6)}${'100644'.padEnd(8)}${String(data.length).padEnd(10)}\`\n`;
    out.push(Buffer.from(h, 'latin1'), data);
    if (data.length % 2 === 1) out.push(Buffer.from('\n'));
  }
  return Buffer.concat(out);
}

// ---- the parsers ----

const decompressor = pureDecompressor();
const text = (b: Buffer) => b.toString('utf8');

describe('fuzzing: mutated input gives a value or a coded error', () => {
  it('readAr', async () => {
    await fuzz(seeds.ar, 4000, async (b, chunks) => {
      for await (const m of readAr(chunked(b, chunks), { file: 'fuzz.deb' })) await drain(m.body as AsyncIterable<Buffer>);
    });
  });

  it('readTar', async () => {
    await fuzz(seeds.tar, 4000, async (b, chunks) => {
      for await (const m of readTar(chunked(b, chunks), { file: 'fuzz.deb', member: 'data.tar' }, { pax: false })) await drain(m.body);
    });
  });

  it('readDeb', async () => {
    await fuzz(seeds.deb, 4000, async (b, chunks) => {
      await readDeb(chunked(b, chunks), { file: 'fuzz.deb', decompressor, onData: async (m) => void (await drain(m.body)) });
    });
  });

  it('deb822', async () => {
    await fuzz([Buffer.from(CONTROL), Buffer.from(PACKAGES)], 6000, async (b) => parseDeb822(text(b), { file: 'control' }));
  });

  it('Release', async () => {
    await fuzz([Buffer.from(RELEASE)], 6000, async (b) => parseRelease(text(b), { file: 'Release' }));
  });

  it('Packages', async () => {
    await fuzz([Buffer.from(PACKAGES)], 6000, async (b, chunks) => {
      for await (const r of readPackages(chunked(b, chunks), { file: 'Packages' })) expect(r.package).not.toBe('');
    });
  });

  it('clearsigned', async () => {
    await fuzz([Buffer.from(CLEARSIGNED)], 6000, async (b) => splitClearsigned(text(b)));
  });
});
