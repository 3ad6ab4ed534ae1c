// What test/formats/fuzz.test.ts found, each kept as a regression test with its oracle.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CrossrootError } from '../../src/errors.js';
import { readPackages } from '../../src/formats/index/packages.js';
import { readTar } from '../../src/formats/tar/read.js';
import { run, runBuffer } from '../support/cli.js';

const EVIL = fileURLToPath(new URL('../support/evil-deb.py', import.meta.url));
let work = '';
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'crossroot-fuzz-findings-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** Sets a tar header's octal field and recomputes the header checksum. */
function setField(tar: Buffer, header: number, offset: number, octal: string): void {
  tar.write(octal, header + offset, 'latin1');
  tar.fill(0x20, header + 148, header + 156);
  let sum = 0;
  for (let j = header; j < header + 512; j++) sum += tar[j]!;
  tar.write(`${sum.toString(8).padStart(6, '0')}\0 `, header + 148, 'latin1');
}

describe('fuzz findings', () => {
  it('a directory header stating a size (1 GiB) does not hang readTar; the members are those GNU tar lists', async () => {
    // Seed 20261207, readTar, one bit flipped at offset 124 ('0' → '1' in the first header's
    // size field). tar-stream never ended that directory's body: the read waited forever.
    const deb = join(work, 'dir-size.deb');
    await runBuffer('python3', [EVIL, deb, JSON.stringify([{ name: './', type: 'dir' }, { name: './usr/', type: 'dir' }, { name: './usr/f', type: 'file', data: 'x' }])]);
    const dir = join(work, 'x');
    await runBuffer('sh', ['-c', 'mkdir -p "$1" && cd "$1" && ar x "$2"', 'sh', dir, deb]);
    const tar = await readFile(join(dir, 'data.tar'));
    setField(tar, 0, 124, '10000000000');
    const path = join(work, 'dir-size.tar');
    await writeFile(path, tar);
    // GNU tar (and Python's tarfile) skips no data after a directory header: every member follows.
    const oracle = (await runBuffer('tar', ['-tf', path])).toString().trim().split('\n');
    expect(oracle).toEqual(['./', './usr/', './usr/f']);
    const ours: string[] = [];
    const read = (async () => {
      for await (const m of readTar((async function* () { yield tar; })(), { file: 'dir-size.tar' })) {
        ours.push(m.entry.path);
        for await (const _ of m.body);
      }
    })();
    await Promise.race([read, new Promise((_, reject) => setTimeout(() => reject(new Error('readTar hangs')), 5000))]);
    expect(ours).toEqual(oracle);
  });

  it('a size field in base-256 too large to hold (0xb0 "0000000004"): FORMAT_TAR naming the member, no hang; GNU tar refuses it too', async () => {
    // Seed 7, readTar: bit 7 of the first byte of a header's size field set (base-256 in GNU
    // tar). tar-stream made the size null and never ended the member's body.
    const deb = join(work, 'size256.deb');
    await runBuffer('python3', [EVIL, deb, JSON.stringify([{ name: './', type: 'dir' }, { name: './f', type: 'file', data: 'long' }])]);
    const dir = join(work, 'y');
    await runBuffer('sh', ['-c', 'mkdir -p "$1" && cd "$1" && ar x "$2"', 'sh', dir, deb]);
    const tar = await readFile(join(dir, 'data.tar'));
    tar[512 + 124] = 0xb0;
    setField(tar, 512, 125, '0000000004');
    const path = join(work, 'size256.tar');
    await writeFile(path, tar);
    const gnu = await run('tar', ['-tf', path]);
    expect(gnu.code).not.toBe(0);
    expect(gnu.stderr).toContain('numeric off_t value expected');
    let error: unknown;
    const read = (async () => {
      for await (const m of readTar((async function* () { yield tar; })(), { file: 'size256.tar' })) for await (const _ of m.body);
    })().catch((err: unknown) => (error = err));
    await Promise.race([read, new Promise((_, reject) => setTimeout(() => reject(new Error('readTar hangs')), 5000))]);
    expect(error).toBeInstanceOf(CrossrootError);
    expect((error as Error).message).toBe('size256.tar: member ./f: bad size field in tar header');
  });

  it('a Packages Version with a line break (a continuation line): one line naming the file, line and package', async () => {
    // Seed 7, Packages: a duplicated range put a continuation line into Version; the message
    // quoted the version raw, across two lines.
    const text = 'Package: dash\nVersion: 0.5.12-2\n duplicated\nArchitecture: amd64\nFilename: pool/d/dash.deb\nSize: 1\nSHA256: ' + '0'.repeat(64) + '\n';
    let error: unknown;
    try {
      for await (const _ of readPackages((async function* () { yield Buffer.from(text); })(), { file: 'Packages' }));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CrossrootError);
    expect((error as Error).message).toMatch(/^Packages:1: package dash: invalid version '0\.5\.12-2\\n duplicated': [^\n]+$/);
  });
});
