// mmdebstrap's own tarballs, the reference crossroot's output must equal byte for byte.
import { createHash } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { hostArchitecture } from '../../src/host/arch.js';
import { REPO_ROOT, run } from './cli.js';
import { withEmulation } from './emulation.js';
import { hostMirrorLines, mirrorLineParts } from './real-debs.js';

const CACHE = join(REPO_ROOT, '.cache', 'mmdebstrap-oracle');

export interface MmdebstrapRun {
  mode: 'root' | 'chrootless';
  arch: string;
  variant: 'essential' | 'buildd';
  sourceDateEpoch: number;
  /** More mmdebstrap arguments (hooks), after the merged-usr hook directory. */
  extra?: string[];
  /** The TARGET's suffix, which chooses mmdebstrap's format (default `.tar`). */
  suffix?: string;
}

/** The mirror lines both sides use: the host's bookworm, -updates and -security, as one argument. */
export async function mirrorArgument(): Promise<string> {
  return (await hostMirrorLines('bookworm')).join('\n');
}

async function inReleaseDates(lines: string): Promise<string> {
  const dates: string[] = [];
  for (const line of lines.split('\n')) {
    const { uri, suite } = mirrorLineParts(line);
    const res = await fetch(`${uri}/dists/${suite}/InRelease`);
    const text = await res.text();
    dates.push(/^Date: (.*)$/m.exec(text)?.[1] ?? '');
  }
  return dates.join('|');
}

/**
 * Runs mmdebstrap (with the merged-usr hook) into a cached tarball, keyed by its arguments and
 * the Release dates of the mirror (a changed mirror gives a new reference).
 */
export async function mmdebstrapTarball(r: MmdebstrapRun): Promise<string> {
  const lines = await mirrorArgument();
  const key = createHash('sha256')
    .update(JSON.stringify({ ...r, lines, dates: await inReleaseDates(lines) }))
    .digest('hex')
    .slice(0, 16);
  const out = join(CACHE, `${r.mode}-${r.arch}-${r.variant}-${key}${r.suffix ?? '.tar'}`);
  if ((await stat(out).catch(() => undefined)) !== undefined) return out;
  await mkdir(CACHE, { recursive: true });
  const tmp = `${out}.tmp-${process.pid}${r.suffix ?? '.tar'}`;
  // Root mode runs the target's binaries (qemu-user for a foreign architecture).
  const res = await withEmulation(r.mode === 'root' ? r.arch : hostArchitecture(), () =>
    run(
      'mmdebstrap',
      [`--mode=${r.mode}`, `--variant=${r.variant}`, `--arch=${r.arch}`, '--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr', ...(r.extra ?? []), 'bookworm', tmp, lines],
      { env: { ...process.env, SOURCE_DATE_EPOCH: String(r.sourceDateEpoch) } },
    ),
  );
  if (res.code !== 0) {
    await rm(tmp, { force: true });
    throw new Error(`mmdebstrap failed (exit ${res.code}): ${res.stderr.split('\n').slice(-10).join('\n')}`);
  }
  await rename(tmp, out);
  return out;
}
