// Every streaming parser fed one byte at a time gives what it gives on whole chunks.
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAr } from '../../src/formats/ar.js';
import { Deb822Parser } from '../../src/formats/deb822/parse.js';
import { inspectDeb } from '../../src/formats/deb/inspect.js';
import { readTar } from '../../src/formats/tar/read.js';
import { hostDecompressor } from '../../src/host/decompress.js';
import { runBuffer } from '../support/cli.js';
import { oracleFileList } from '../support/oracle-deb.js';
import { realDebs } from '../support/real-debs.js';

async function* oneByteAtATime(data: Buffer): AsyncGenerator<Buffer> {
  for (let i = 0; i < data.length; i++) yield data.subarray(i, i + 1);
}

let debs: string[] = [];
let work = '';
beforeAll(async () => {
  debs = (await realDebs({ suite: 'bookworm', arch: 'amd64', variant: 'buildd' })).debs;
  work = await mkdtemp(join(tmpdir(), 'crossroot-stream-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** The smallest debs of the set (a byte-at-a-time read of a large one takes too long). */
async function smallest(n: number): Promise<string[]> {
  const sized = await Promise.all(debs.map(async (d) => ({ d, size: (await stat(d)).size })));
  return sized.sort((a, b) => a.size - b.size).slice(0, n).map((x) => x.d);
}

describe('one byte at a time', () => {
  it('inspectDeb gives the same result as on whole chunks, and as the oracles', async () => {
    for (const deb of await smallest(3)) {
      const bytes = await readFile(deb);
      const whole = await inspectDeb(createReadStream(deb), { file: deb, decompressor: hostDecompressor() });
      const bytewise = await inspectDeb(oneByteAtATime(bytes), { file: deb, decompressor: hostDecompressor() });
      expect(bytewise, basename(deb)).toEqual(whole);
      expect(bytewise.files, basename(deb)).toEqual(await oracleFileList(deb));
    }
  });

  it('readTar on an uncompressed data.tar matches GNU tar + tarfile', async () => {
    const deb = (await smallest(1))[0]!;
    const tar = await runBuffer('dpkg-deb', ['--fsys-tarfile', deb]);
    const seen = [];
    for await (const { entry, body } of readTar(oneByteAtATime(tar))) {
      let size = 0;
      for await (const c of body) size += c.length;
      expect(size).toBe(entry.size);
      const { path, type, mode, uid, gid, mtime, linkname } = entry;
      seen.push({ path, type, mode, uid, gid, size: entry.size, mtime, ...(linkname !== undefined ? { linkname } : {}) });
    }
    expect(seen).toEqual(await oracleFileList(deb));
  });

  it('readAr reads odd-sized members (padding) exactly as binutils ar writes them', async () => {
    const names = ['a', 'bb', 'odd', 'even'];
    const contents = [Buffer.from('x'), Buffer.from('yy\n'), Buffer.alloc(4097, 7), Buffer.alloc(4096, 9)];
    for (let i = 0; i < names.length; i++) await writeFile(join(work, names[i]!), contents[i]!);
    const archive = join(work, 'test.a');
    await runBuffer('ar', ['qcD', archive, ...names], { cwd: work });
    const bytes = await readFile(archive);
    for (const source of [createReadStream(archive), oneByteAtATime(bytes)]) {
      const got: { name: string; data: Buffer }[] = [];
      for await (const { header, body } of readAr(source, { file: archive })) {
        const parts: Buffer[] = [];
        for await (const c of body) parts.push(c);
        got.push({ name: header.name, data: Buffer.concat(parts) });
      }
      expect(got.map((g) => g.name)).toEqual(names);
      for (let i = 0; i < names.length; i++) {
        expect(got[i]!.data.equals(await runBuffer('ar', ['p', archive, names[i]!])), names[i]).toBe(true);
      }
    }
  });

  it('readAr skips a member body the consumer leaves half-read', async () => {
    const deb = (await smallest(1))[0]!;
    const seen: string[] = [];
    for await (const { header, body } of readAr(createReadStream(deb, { highWaterMark: 7 }), { file: deb })) {
      seen.push(header.name);
      for await (const _ of body) break;
    }
    expect(seen.join('\n') + '\n').toBe((await runBuffer('ar', ['t', deb])).toString());
  });

  it('Deb822Parser fed one character at a time equals the whole-text parse', async () => {
    const text = (await runBuffer('apt-cache', ['show', 'dpkg', 'bash', 'coreutils'])).toString();
    const whole = new Deb822Parser();
    const a = [...whole.push(text), ...whole.end()].map((p) => p.toObject());
    const bytewise = new Deb822Parser();
    const b = [];
    for (const ch of text) b.push(...bytewise.push(ch));
    b.push(...bytewise.end());
    expect(b.map((p) => p.toObject())).toEqual(a);
    expect(a.length).toBeGreaterThanOrEqual(3);
  });
});
