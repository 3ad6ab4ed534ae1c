// mmdebstrap as the oracle for the output writers and the cleanup: one small root (variant
// extract, base-files + hostname, mode root) built as a directory, as a directory without
// cleanup, and as .tar/.tar.gz/.tar.xz/.tar.zst, all with the same SOURCE_DATE_EPOCH and an
// extract hook that adds the members worth testing. Cached under .cache/output-oracle/<key>/.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../support/cli.js';
import { hostArchiveUri } from '../support/host-mirror.js';

const exec = promisify(execFile);

export const SOURCE_DATE_EPOCH = 1700000000;
export const SUITE = 'bookworm';
export const INCLUDE = 'base-files,hostname';

/** A directory under the test root whose names exceed the 100 bytes of a ustar name field. */
export const LONG_DIR = `usr/share/crossroot-test/${'d'.repeat(70)}`;
export const LONG_FILE = `${LONG_DIR}/${'f'.repeat(60)}`;

/**
 * The extract hook (`sh -c HOOK exec ROOT`): a long name (pax `path`), a hard link, a user xattr,
 * a non-ASCII name (a pax `path` converted through the locale), an old mtime with nanoseconds
 * (not clamped), a non-root owner, and leftovers for the cleanup to remove or keep.
 */
export const HOOK = [
  'set -e',
  `mkdir -p "$1/${LONG_DIR}"`,
  `printf 'long\\n' > "$1/${LONG_FILE}"`,
  `ln "$1/${LONG_FILE}" "$1/usr/share/crossroot-test/hardlink"`,
  `python3 -c 'import os,sys; os.setxattr(sys.argv[1], "user.crossroot", b"x-value")' "$1/${LONG_FILE}"`,
  `printf 'caf\\303\\251\\n' > "$1/usr/share/crossroot-test/caf$(printf '\\303\\251')"`,
  `printf 'old\\n' > "$1/usr/share/crossroot-test/old" && touch -d @1600000000.5 "$1/usr/share/crossroot-test/old"`,
  `printf 'owned\\n' > "$1/usr/share/crossroot-test/owned" && chown 1000:1001 "$1/usr/share/crossroot-test/owned"`,
  // cleanup material
  `printf 'abc\\n' > "$1/etc/machine-id" && chmod 0600 "$1/etc/machine-id"`,
  `mkdir -p "$1/var/lib/dbus" && printf 'm\\n' > "$1/var/lib/dbus/machine-id"`,
  `mkdir -p "$1/var/log/apt" "$1/var/cache/ldconfig"`,
  `for f in var/log/dpkg.log var/log/apt/history.log var/log/apt/term.log var/log/alternatives.log var/log/apt/eipp.log.xz var/cache/ldconfig/aux-cache; do printf 'x\\n' > "$1/$f"; done`,
  `printf 'keep\\n' > "$1/var/log/keep.log"`,
  `mkdir -p "$1/run/lock/sub" "$1/run/gone/deeper" && chmod 1777 "$1/run/lock" && printf 'x' > "$1/run/gone/deeper/f" && printf 'x' > "$1/run/lock/sub/kept"`,
  `mkdir -p "$1/tmp/gone" && printf 'x' > "$1/tmp/gone/f" && ln -s /etc/passwd "$1/tmp/link"`,
  `printf 'x' > "$1/var/lib/apt/lists/partial/FAILED-leftover"`,
  `mkdir -p "$1/var/lib/apt/lists/auxfiles" && printf 'x' > "$1/var/lib/apt/lists/auxfiles/f"`,
].join('\n');

export interface Oracle {
  /** mmdebstrap --format=directory: the cleaned root (its dev/ has real device nodes). */
  root: string;
  /** The same with --skip=cleanup: the root as mmdebstrap's cleanup finds it. */
  raw: string;
  /** mmdebstrap's tarballs of that root, by suffix: '.tar', '.tar.gz', '.tar.xz', '.tar.zst'. */
  tarballs: Record<'.tar' | '.tar.gz' | '.tar.xz' | '.tar.zst', string>;
  /** Seconds the mmdebstrap runs took (0 from the cache). */
  seconds: number;
}

async function version(cmd: string, args: string[]): Promise<string> {
  return (await exec(cmd, args)).stdout.split('\n')[0] ?? '';
}

/** Environment for mmdebstrap: no compressor or tar variables, so its bytes are the defaults. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, SOURCE_DATE_EPOCH: String(SOURCE_DATE_EPOCH) };
  for (const k of ['GZIP', 'XZ_OPT', 'XZ_DEFAULTS', 'ZSTD_CLEVEL', 'ZSTD_NBTHREADS', 'TAR_OPTIONS', 'TAPE']) delete env[k];
  return env;
}

async function mmdebstrap(mirror: string, arch: string, target: string, extra: string[]): Promise<void> {
  const args = [
    '--variant=extract',
    `--include=${INCLUDE}`,
    '--mode=root',
    `--architectures=${arch}`,
    `--extract-hook=${HOOK}`,
    ...extra,
    SUITE,
    target,
    `deb ${mirror} ${SUITE} main`,
  ];
  try {
    await exec('mmdebstrap', args, { env: cleanEnv(), maxBuffer: 64 << 20 });
  } catch (err) {
    throw new Error(`mmdebstrap ${target}: ${(err as { stderr?: string }).stderr ?? String(err)}`);
  }
}

/** Runs `jobs` at most `n` at a time. */
async function limited(n: number, jobs: (() => Promise<void>)[]): Promise<void> {
  const queue = [...jobs];
  await Promise.all(
    Array.from({ length: n }, async () => {
      for (let job = queue.shift(); job !== undefined; job = queue.shift()) await job();
    }),
  );
}

/**
 * The oracle outputs, built once per key (mmdebstrap, tar and compressor versions, mirror,
 * inputs, hook). Two test files may ask at once: a lock file makes the second wait.
 */
export async function oracle(): Promise<Oracle> {
  const mirror = await hostArchiveUri(SUITE);
  const arch = (await exec('dpkg', ['--print-architecture'])).stdout.trim();
  const inputs = {
    arch,
    mmdebstrap: await version('dpkg-query', ['-W', '-f=${Version}', 'mmdebstrap']),
    tar: await version('tar', ['--version']),
    xz: await version('xz', ['--version']),
    gzip: await version('gzip', ['--version']),
    zstd: await version('zstd', ['--version']),
    passwdApt: (await readFile('/etc/passwd', 'utf8')).split('\n').find((l) => l.startsWith('_apt:')) ?? '',
    mirror,
    suite: SUITE,
    include: INCLUDE,
    sde: SOURCE_DATE_EPOCH,
    hook: HOOK,
  };
  const key = createHash('sha256').update(JSON.stringify(inputs)).digest('hex').slice(0, 16);
  const base = join(REPO_ROOT, '.cache', 'output-oracle');
  const dir = join(base, key);
  const result: Oracle = {
    root: join(dir, 'root'),
    raw: join(dir, 'raw'),
    tarballs: {
      '.tar': join(dir, 'mm.tar'),
      '.tar.gz': join(dir, 'mm.tar.gz'),
      '.tar.xz': join(dir, 'mm.tar.xz'),
      '.tar.zst': join(dir, 'mm.tar.zst'),
    },
    seconds: 0,
  };
  await mkdir(base, { recursive: true });
  const lock = join(base, `${key}.lock`);
  for (;;) {
    if (existsSync(join(dir, 'complete'))) return result;
    try {
      const fh = await open(lock, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      break;
    } catch {
      const holder = Number(await readFile(lock, 'utf8').catch(() => '0'));
      let alive = false;
      try {
        if (holder > 0) process.kill(holder, 0);
        alive = holder > 0;
      } catch {
        alive = false;
      }
      if (!alive) await rm(lock, { force: true });
      else await new Promise((r) => setTimeout(r, 1000));
    }
  }
  try {
    if (existsSync(join(dir, 'complete'))) return result;
    // Staged under TMPDIR, not in the checkout: apt in mmdebstrap reaches a directory target as
    // _apt, which it cannot in a clone inside a mode-0700 home (it would then run as root and
    // leave root-owned partial/ directories, unlike an ordinary build).
    const staging = await mkdtemp(join(tmpdir(), 'crossroot-output-oracle-'));
    await chmod(staging, 0o755);
    const started = Date.now();
    await limited(2, [
      () => mmdebstrap(mirror, arch, join(staging, 'root'), ['--format=directory']),
      () => mmdebstrap(mirror, arch, join(staging, 'raw'), ['--format=directory', '--skip=cleanup']),
      ...(['.tar', '.tar.gz', '.tar.xz', '.tar.zst'] as const).map((s) => () => mmdebstrap(mirror, arch, join(staging, `mm${s}`), [])),
    ]).catch(async (err: unknown) => {
      await rm(staging, { recursive: true, force: true });
      throw err;
    });
    result.seconds = (Date.now() - started) / 1000;
    await writeFile(join(staging, 'inputs.json'), JSON.stringify(inputs, null, 2));
    await writeFile(join(staging, 'complete'), '');
    await rm(dir, { recursive: true, force: true });
    await rename(staging, dir).catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EXDEV') throw err;
      await exec('cp', ['-a', staging, `${dir}.copy`]);
      await rename(`${dir}.copy`, dir);
      await rm(staging, { recursive: true, force: true });
    });
    return result;
  } finally {
    await rm(lock, { force: true });
  }
}
