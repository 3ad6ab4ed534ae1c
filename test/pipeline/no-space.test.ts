// A disk that fills mid-build: while the root is unpacked (TMPDIR full) or the tarball written
// (TARGET's file system full). Exit 4 with one line naming the file system, the previous TARGET
// as it was, nothing half-written anywhere. Each run has a 16 MiB tmpfs of its own, mounted in
// a private mount namespace (unshare -m), and a 24 MiB package to fill it.
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, run } from '../support/cli.js';
import { makeFlatRepo } from '../support/synthetic-repo.js';

let work = '';
let repo = '';
const canMount = process.getuid?.() === 0 && spawnSync('unshare', ['-m', '--propagation', 'private', 'true']).status === 0;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'crossroot-no-space-'));
  repo = await makeFlatRepo(join(work, 'repo'), [
    { name: 'big', version: '1', fields: { Essential: 'yes', Priority: 'required' }, files: { 'usr/share/big/zeros': '\0'.repeat(24 << 20) } },
  ]);
}, 120_000);
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/**
 * Runs `crossroot build` into `target` with a 16 MiB tmpfs mounted at `small` in a private
 * mount namespace, `previous.tar` copied to `target` first; what `small` holds afterwards is
 * listed on stderr (from inside the namespace: the mount ends with it), then `target`'s text.
 */
async function buildWithSmallDisk(small: string, tmp: string, target: string) {
  await mkdir(small, { recursive: true });
  await mkdir(tmp, { recursive: true });
  const script = 'mount -t tmpfs -o size=16m tmpfs "$SMALL" || exit 99; cp "$PREVIOUS" "$TARGET"; "$@"; code=$?; ls -A "$SMALL" >&2; cat "$TARGET" >&2; exit $code';
  const r = await run('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', process.execPath, CLI, 'build', '--tools-root', 'host', '--arch', 'amd64', '--variant', 'essential', '--cache-dir', join(work, 'cache'), 'bookworm', target, repo], {
    env: { ...process.env, TMPDIR: tmp, SOURCE_DATE_EPOCH: '1700000000', PREVIOUS: join(work, 'previous.tar'), TARGET: target, SMALL: small },
  });
  // crossroot's progress lines aside: its error, then the listing, then the target's text.
  return { ...r, lines: r.stderr.trimEnd().split('\n').filter((l) => !/^crossroot: \[|^get /.test(l)) };
}

describe.skipIf(!canMount)('no space left on the device', () => {
  beforeAll(async () => {
    await writeFile(join(work, 'previous.tar'), 'the previous TARGET\n');
  });

  it('ENOSPC while unpacking (TMPDIR on a full file system): exit 4 naming TMPDIR, previous TARGET intact, TMPDIR left empty', async () => {
    const small = join(work, 'small-tmp');
    const out = join(work, 'out-1');
    await mkdir(out);
    const r = await buildWithSmallDisk(small, small, join(out, 'root.tar'));
    expect(r.code, r.stderr).toBe(4);
    expect(r.lines).toEqual([
      `crossroot: no space left on the file system of ${small} while building the root (TMPDIR); nothing was written at the target: set TMPDIR to a larger file system, or free space there`,
      'the previous TARGET', // and no name listed before it: TMPDIR is empty
    ]);
    expect(await readdir(out)).toEqual(['root.tar']);
  }, 300_000);

  it("ENOSPC while writing the tarball (TARGET's file system full): exit 4 naming it, previous TARGET intact, no temporary beside it", async () => {
    const small = join(work, 'small-out');
    const tmp = join(work, 'tmp-2');
    const r = await buildWithSmallDisk(small, tmp, join(small, 'root.tar'));
    expect(r.code, r.stderr).toBe(4);
    expect(r.lines).toEqual([
      `crossroot: no space left on the file system of ${small} while writing ${join(small, 'root.tar')}; nothing was written there (root.tar is as it was): free space, or write the root elsewhere`,
      'root.tar',
      'the previous TARGET',
    ]);
    expect(await readdir(tmp)).toEqual([]);
  }, 300_000);
});
