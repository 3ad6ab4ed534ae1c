// controlOnlyPackage (the merged-usr hook's dummy, given to the native installer without dpkg-deb) against what dpkg-deb --build makes of the same DEBIAN/control.

import { createReadStream } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDeb, type DebControl } from '../../src/formats/deb/read.js';
import type { TarEntry } from '../../src/formats/tar/entry.js';
import { hostDecompressor } from '../../src/host/decompress.js';
import { controlOnlyPackage } from '../../src/install/native.js';
import { DUMMY_USR_IS_MERGED } from '../../src/pipeline/build.js';
import { runBuffer } from '../support/cli.js';
import { scratchDir } from '../support/sandbox-debs.js';

describe('the dummy usr-is-merged, as dpkg-deb --build makes it', () => {
  const epoch = 1_700_000_000;
  let dir: string;
  let built: { control: DebControl; entries: TarEntry[] };
  beforeAll(async () => {
    dir = await scratchDir('control-only');
    // As the merged-usr hook does it: a directory holding DEBIAN/control, built as root.
    await mkdir(join(dir, 'usr-is-merged', 'DEBIAN'), { recursive: true, mode: 0o755 });
    await writeFile(join(dir, 'usr-is-merged', 'DEBIAN', 'control'), DUMMY_USR_IS_MERGED, { mode: 0o644 });
    await runBuffer('sh', ['-c', 'umask 022 && chmod 0755 "$1" "$1/DEBIAN" && SOURCE_DATE_EPOCH=$2 dpkg-deb --build "$1" "$1.deb" >/dev/null', 'sh', join(dir, 'usr-is-merged'), String(epoch)]);
    const entries: TarEntry[] = [];
    const control = await readDeb(createReadStream(join(dir, 'usr-is-merged.deb')), {
      file: 'usr-is-merged.deb',
      decompressor: hostDecompressor(),
      onData: ({ entry }) => {
        entries.push(entry);
      },
    });
    built = { control, entries };
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('has the same control members: names, bytes, modes, mtimes', () => {
    const mine = controlOnlyPackage(DUMMY_USR_IS_MERGED, epoch, 'dummy').unpacked!.control;
    const view = (c: DebControl) => [...c.members.values()].map((m) => ({ name: m.name, mode: m.mode & 0o7777, mtime: m.mtime, data: m.data.toString('utf8') }));
    expect(view(mine)).toEqual(view(built.control));
    expect(mine.control.get('Package')).toBe('usr-is-merged');
    expect(mine.compression).toEqual(built.control.compression);
  });

  it('has the same data members', () => {
    const mine = controlOnlyPackage(DUMMY_USR_IS_MERGED, epoch, 'dummy').unpacked!.entries;
    const view = (e: TarEntry) => ({ path: e.path, type: e.type, mode: e.mode, uid: e.uid, gid: e.gid, mtime: e.mtime, size: e.size });
    expect(mine.map(view)).toEqual(built.entries.map(view));
  });
});
