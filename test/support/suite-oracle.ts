// The external judge of a suite: that suite's own mmdebstrap --mode=root, run inside a root of
// that suite (its apt, dpkg, tar and helpers), not this host's (whose tar and helpers would
// shape the bytes). The host root for it is a root of the suite with mmdebstrap installed, made
// the normal way (real dpkg inside it: `crossroot reference --tools-root host`), entered with
// chroot(8) in a private mount namespace with /dev, /proc, /sys and the host's resolv.conf bound,
// as a person would set up a chroot to run mmdebstrap in.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { hostArchitecture } from '../../src/host/arch.js';
import { crossroot, REPO_ROOT, run } from './cli.js';
import { withEmulation } from './emulation.js';
import { hostMirrorLines, mirrorLineParts, SNAPSHOT_OPTIONS } from './real-debs.js';

const CACHE = join(REPO_ROOT, '.cache', 'suite-oracle');
const ARCHIVE_CACHE = join(REPO_ROOT, '.cache', 'archive');

/**
 * The mirror lines of a suite on the host's mirror (a snapshot: the host's bookworm sources name
 * its URIs): trixie with -updates and -security, as mmdebstrap's default has them; forky and
 * sid one line. All with `check-valid-until=no` (SNAPSHOT_OPTIONS): the snapshot's forky and sid
 * Releases have expired, its trixie-updates and -security ones expire on 2026-12-13.
 */
export async function suiteMirrorLines(suite: string): Promise<string[]> {
  const bookworm = await hostMirrorLines('bookworm');
  const archive = mirrorLineParts(bookworm[0]!).uri;
  const security = mirrorLineParts(bookworm[2]!).uri;
  const o = SNAPSHOT_OPTIONS;
  if (suite === 'bookworm') return bookworm;
  if (suite === 'trixie') return [`deb ${o} ${archive} trixie main`, `deb ${o} ${archive} trixie-updates main`, `deb ${o} ${security} trixie-security main`];
  return [`deb ${o} ${archive} ${suite} main`];
}

async function releaseDates(lines: string[]): Promise<string> {
  const dates: string[] = [];
  for (const line of lines) {
    const { uri, suite } = mirrorLineParts(line);
    const text = await (await fetch(`${uri}/dists/${suite}/InRelease`)).text();
    dates.push(/^Date: (.*)$/m.exec(text)?.[1] ?? '');
  }
  return dates.join('|');
}

/** What a root needs to run mmdebstrap (and, with `node`, crossroot itself) as its host. */
const HOST_PACKAGES = ['mmdebstrap', 'arch-test', 'mount'];
const NODE_HOST_PACKAGES = [...HOST_PACKAGES, 'nodejs', 'bubblewrap', 'gpgv', 'debian-archive-keyring', 'xz-utils', 'zstd'];

/**
 * A root of `suite` for the host's architecture with mmdebstrap in it, and with `node` also
 * what crossroot needs on a host (cached by the mirror's state).
 */
export async function suiteHostRoot(suite: string, opts: { node?: boolean } = {}): Promise<string> {
  const lines = await suiteMirrorLines(suite);
  const include = opts.node === true ? NODE_HOST_PACKAGES : HOST_PACKAGES;
  const key = createHash('sha256').update(JSON.stringify({ suite, lines, include, dates: await releaseDates(lines) })).digest('hex').slice(0, 16);
  const dir = join(CACHE, `host-${suite}-${key}`);
  if ((await stat(join(dir, 'usr/bin/mmdebstrap')).catch(() => undefined)) !== undefined) return dir;
  await mkdir(CACHE, { recursive: true });
  await rm(dir, { recursive: true, force: true });
  const r = await crossroot(
    ['reference', '--tools-root', 'host', '--cache-dir', ARCHIVE_CACHE, '--include', include.join(','), suite, dir, ...lines],
    { env: { ...process.env, SOURCE_DATE_EPOCH: '1700000000' } },
  );
  if (r.code !== 0) throw new Error(`making the ${suite} root for its mmdebstrap failed (exit ${r.code}): ${r.stderr.split('\n').slice(-10).join('\n')}`);
  return dir;
}

/**
 * Runs `argv` inside `root` as root with chroot(8) in a private mount namespace: the root bound
 * on itself (so that `/` is a mount point, as bwrap needs), /dev /proc /sys and resolv.conf from
 * the host, `out` at /tmp/out, and `readOnly` host directories at their own paths.
 */
export async function inChroot(root: string, out: string, argv: string[], env: Record<string, string>, readOnly: string[] = []): Promise<{ code: number; stdout: string; stderr: string }> {
  const script = [
    'set -e',
    'R=$1; O=$2; shift 2',
    'mount --bind "$R" "$R"',
    ...readOnly.map((d) => `mkdir -p "$R${d}"; mount --bind '${d}' "$R${d}"; mount -o remount,bind,ro "$R${d}"`),
    'mount --rbind /dev "$R/dev"',
    'mount -t proc proc "$R/proc"',
    'mount --rbind /sys "$R/sys"',
    'touch "$R/etc/resolv.conf"',
    'mount --bind /etc/resolv.conf "$R/etc/resolv.conf"',
    'mount -t tmpfs tmpfs "$R/tmp"',
    'mkdir -p "$R/tmp/out"',
    'mount --bind "$O" "$R/tmp/out"',
    'exec chroot "$R" "$@"',
  ].join('\n');
  const envArgs = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  const r = await run('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', root, out, 'env', '-i', ...envArgs, ...argv]);
  return { code: r.code, stdout: r.stdout, stderr: r.stderr };
}

export interface SuiteOracleRun {
  suite: string;
  arch: string;
  variant: 'essential' | 'apt' | 'buildd';
  sourceDateEpoch: number;
}

/**
 * The suite's own `mmdebstrap --mode=root` tarball for the cell (no hooks: trixie and later need
 * none), with the lines of {@link suiteMirrorLines}; cached by its arguments and the mirror's
 * Release dates.
 */
export async function suiteMmdebstrapTarball(r: SuiteOracleRun): Promise<string> {
  const lines = await suiteMirrorLines(r.suite);
  const key = createHash('sha256').update(JSON.stringify({ ...r, lines, dates: await releaseDates(lines) })).digest('hex').slice(0, 16);
  const out = join(CACHE, `${r.suite}-${r.arch}-${r.variant}-${key}.tar`);
  if ((await stat(out).catch(() => undefined)) !== undefined) return out;
  const root = await suiteHostRoot(r.suite);
  await mkdir(CACHE, { recursive: true });
  const dir = await mkdtemp(join(CACHE, 'out-'));
  try {
    const res = await withEmulation(r.arch === hostArchitecture() ? hostArchitecture() : r.arch, () =>
      inChroot(root, dir, ['mmdebstrap', '--mode=root', `--arch=${r.arch}`, `--variant=${r.variant}`, r.suite, '/tmp/out/root.tar', ...lines], {
        PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
        HOME: '/root',
        TMPDIR: '/tmp',
        SOURCE_DATE_EPOCH: String(r.sourceDateEpoch),
      }),
    );
    if (res.code !== 0) throw new Error(`${r.suite}'s mmdebstrap failed (exit ${res.code}): ${res.stderr.split('\n').slice(-10).join('\n')}`);
    await rename(join(dir, 'root.tar'), out);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return out;
}
