// The output-format registry: the format --format auto chooses is mmdebstrap's own choice
// (asked with --dry-run), and compare reads every tarball name build writes.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CrossrootError } from '../../src/errors.js';
import { chooseFormat, FORMAT_NAMES } from '../../src/output/format.js';
import { openTree } from '../../src/compare/tree-source.js';
import { hostDecompressor } from '../../src/host/decompress.js';

const HAVE_MMDEBSTRAP = existsSync('/usr/bin/mmdebstrap');
let work = '';
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'crossroot-format-'));
  await mkdir(join(work, 'existing.tar'));
  // mmdebstrap's own copy of the names: a dry run may make a directory TARGET.
  await mkdir(join(work, 'm', 'existing.tar'), { recursive: true });
});
afterAll(() => rm(work, { recursive: true, force: true }));

/** mmdebstrap's "automatically chosen format" for TARGET (it prints it before touching a mirror). */
async function mmdebstrapChoice(given: string): Promise<string> {
  const target = given.startsWith(work) ? join(work, 'm', given.slice(work.length)) : given;
  // Stopped as soon as it has said (the rest of a dry run is apt's, seconds of it).
  const child = spawn('mmdebstrap', ['--dry-run', '--variant=essential', 'bookworm', target, 'file:///nonexistent'], { cwd: work, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      const m = /automatically chosen format: (\S+)/.exec(stderr);
      if (m !== null) {
        child.kill('SIGTERM');
        resolve(m[1]!);
      }
    });
    child.on('close', () => reject(new Error(`mmdebstrap chose no format for ${target}: ${stderr}`)));
  });
}

describe('--format auto chooses as mmdebstrap 1.3.5', () => {
  // Names the three former lists disagreed on (.taz, x.gz), every tar suffix, directories.
  const targets = ['x.tar', 'x.tar.gz', 'x.tgz', 'x.taz', 'x.gz', 'x.tar.xz', 'x.txz', 'x.xz', 'x.tar.zst', 'x.zst', 'x.squashfs', 'x.sqfs', 'x.ext2', 'x', 'x.foo', 'existing.tar', '/dev/null'];
  it.skipIf(!HAVE_MMDEBSTRAP).each(targets)('%s — skipped without /usr/bin/mmdebstrap', async (t) => {
    const path = t.startsWith('/') ? t : join(work, t);
    expect((await chooseFormat(path)).kind).toBe(await mmdebstrapChoice(path));
  });

  it.skipIf(!HAVE_MMDEBSTRAP)('.tzst: a tarball here (GNU tar knows it), a directory for mmdebstrap — skipped without /usr/bin/mmdebstrap', async () => {
    expect(await mmdebstrapChoice(join(work, 'x.tzst'))).toBe('directory');
    expect((await chooseFormat(join(work, 'x.tzst'))).kind).toBe('tar');
  });

  it.skipIf(!HAVE_MMDEBSTRAP)('a bzip2 tarball is a tarball for mmdebstrap, refused (not made a directory) here — skipped without /usr/bin/mmdebstrap', async () => {
    // (only bzip2: mmdebstrap starts the compressor to see that it exists, and bzip2 is the one here)
    for (const t of ['x.tar.bz2', 'x.tbz', 'x.tbz2']) {
      expect(await mmdebstrapChoice(join(work, t))).toBe('tar');
      await expect(chooseFormat(join(work, t))).rejects.toMatchObject({ code: 'USAGE_TARBALL_SUFFIX' });
    }
  });
});

describe('--format NAME', () => {
  it('takes mmdebstrap 1.3.5\'s names and aliases (its @valid_formats, sqfs and dir)', () => {
    for (const n of ['auto', 'directory', 'dir', 'tar', 'squashfs', 'sqfs', 'ext2', 'null']) expect(FORMAT_NAMES).toContain(n);
  });
  it('tar with a name no tarball\'s is accepted (mmdebstrap writes plain tar)', async () => {
    expect((await chooseFormat(join(work, 'rootfs.img'), 'tar')).kind).toBe('tar');
  });
  it('an unknown name is a usage error', async () => {
    await expect(chooseFormat('x', 'cpio')).rejects.toThrow(CrossrootError);
    await expect(chooseFormat('x', 'cpio')).rejects.toMatchObject({ code: 'USAGE_FORMAT' });
  });
});

describe('compare reads what build writes, by the same table', () => {
  // An empty tar archive (two zero blocks), gzip'd, under each gzip name: compare must see gzip
  // content whatever the name (before, a .taz shorter than a magic number was read as plain tar).
  it.each(['e.taz', 'e.tgz', 'e.gz'])('%s', async (name) => {
    const path = join(work, name);
    await writeFile(path, gzipSync(Buffer.alloc(1024)));
    const t = await openTree(path, { decompressor: hostDecompressor() });
    expect(t.format).toBe('tar.gz');
    const names: string[] = [];
    for await (const m of t.members()) names.push(m.member.name);
    expect(names).toEqual([]);
  });
});
