// A tarball build that fails midway leaves no TARGET behind and an existing one untouched:
// tar killed from outside, a compressor that dies, a target directory that is not there.
// Its own file: the fake `xz` must be first on PATH before anything looks xz up.
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CrossrootError } from '../../src/errors.js';
import { writeRootTarball } from '../../src/output/tarball.js';

let work = '';
let root = '';
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'crossroot-tarfail-'));
  // A compressor that reads a little, complains and exits 1.
  const fake = join(work, 'fake-bin');
  await mkdir(fake);
  await writeFile(join(fake, 'xz'), "#!/bin/sh\nhead -c 1000000 >/dev/null\necho 'xz: fake failure' >&2\nexit 1\n");
  await chmod(join(fake, 'xz'), 0o755);
  process.env.PATH = `${fake}:${process.env.PATH ?? ''}`;
  // A root tar needs seconds for: an 8 GiB sparse file reads as zeros.
  root = join(work, 'root');
  await mkdir(join(root, 'big'), { recursive: true });
  await writeFile(join(root, 'a-small-file'), 'x\n');
  await truncate(join(root, 'big', 'sparse'), 8 * 1024 ** 3).catch(async () => {
    await writeFile(join(root, 'big', 'sparse'), '');
    await truncate(join(root, 'big', 'sparse'), 8 * 1024 ** 3);
  });
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** Our child processes named `name` (from /proc: ppid and comm). */
async function childrenNamed(name: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const text = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const m = /^\d+ \((.*)\) \S+ (\d+)/s.exec(text);
    if (m && m[1] === name && Number(m[2]) === process.pid) pids.push(Number(entry));
  }
  return pids;
}

async function temporaries(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.includes('.crossroot-tmp-'));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a failed build keeps the previous TARGET', () => {
  it('tar killed midway: the error says so, the temporary beside TARGET is removed', async () => {
    const out = join(work, 'out-killed');
    await mkdir(out);
    const target = join(out, 'root.tar');
    await writeFile(target, 'previous build\n');
    const building = writeRootTarball(root, target, { sourceDateEpoch: 1700000000 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    let killed = 0;
    let sawTemporary = '';
    for (let i = 0; i < 2000 && killed === 0; i++) {
      const [tmp] = await temporaries(out);
      if (tmp !== undefined) {
        sawTemporary = tmp;
        const size = (await stat(join(out, tmp)).catch(() => undefined))?.size ?? 0;
        if (size > 4 << 20) {
          const [pid] = await childrenNamed('tar');
          if (pid !== undefined) {
            process.kill(pid, 'SIGKILL');
            killed = pid;
          }
        }
      }
      await sleep(5);
    }
    expect(killed, 'tar was running with more than 4 MiB written').toBeGreaterThan(0);
    expect(sawTemporary.startsWith('.root.tar.crossroot-tmp-')).toBe(true);
    const err = await building;
    expect(err).toBeInstanceOf(CrossrootError);
    expect((err as CrossrootError).code).toBe('INSTALL_TARBALL_WRITE');
    expect((err as Error).message).toMatch(/tar failed \(killed by SIGKILL\)/);
    expect(await readFile(target, 'utf8')).toBe('previous build\n');
    expect(await temporaries(out)).toEqual([]);
  });

  it('the compressor dies midway: its own message is the error, tar is stopped', async () => {
    const out = join(work, 'out-xz');
    await mkdir(out);
    const target = join(out, 'root.tar.xz');
    await writeFile(target, 'previous build\n');
    const err = await writeRootTarball(root, target, { sourceDateEpoch: 1700000000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CrossrootError);
    expect((err as Error).message).toMatch(/xz failed \(exit 1\): xz: fake failure/);
    expect(await readFile(target, 'utf8')).toBe('previous build\n');
    expect(await temporaries(out)).toEqual([]);
    expect(await childrenNamed('tar')).toEqual([]);
  });

  it('a TARGET in a directory that does not exist: an error, nothing written', async () => {
    const err = await writeRootTarball(root, join(work, 'nowhere', 'root.tar'), { sourceDateEpoch: 1700000000 }).catch(
      (e: unknown) => e,
    );
    expect((err as CrossrootError).code).toBe('INSTALL_TARBALL_WRITE');
    expect((err as Error).message).toMatch(/ENOENT/);
    expect(await childrenNamed('tar')).toEqual([]);
  });
});

describe('a tiny root whose tar exits at once', () => {
  it('never loses tar\'s output (Node discards an unread stdout when its child exits)', async () => {
    const tiny = join(work, 'tiny');
    await mkdir(join(tiny, 'etc'), { recursive: true });
    await writeFile(join(tiny, 'etc', 'f'), 'x');
    const sizes = new Set<number>();
    for (let i = 0; i < 40; i++) {
      const target = join(work, `tiny-${i}.tar`);
      await writeRootTarball(tiny, target, { sourceDateEpoch: 1700000000 });
      sizes.add((await stat(target)).size);
      await rm(target);
    }
    // 15 ./dev headers + ./ + ./etc/ + ./etc/f (header and a data block) + end, in one 10240 record.
    expect([...sizes]).toEqual([7680 + 10240]);
  });
});

