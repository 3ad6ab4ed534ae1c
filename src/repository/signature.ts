// Release signatures — OpenPGP signatures checked by gpgv(1) against the archive keyrings.

import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CrossrootError } from '../errors.js';
import { removeOnInterrupt } from '../host/interrupt.js';
import { findProgram } from '../host/programs.js';
import { workDirectoryPrefix } from '../host/stale.js';

export const DEFAULT_KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';

/** Expands `--keyring FILE|DIR` into keyring files (a directory contributes its `*.gpg`). */
export async function keyringFiles(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    const st = await stat(p).catch(() => undefined);
    if (st === undefined) throw new CrossrootError('REPO_KEYRING', 'keyring not found', { file: p });
    if (st.isDirectory()) {
      const names = (await readdir(p)).filter((n) => n.endsWith('.gpg')).sort();
      out.push(...names.map((n) => join(p, n)));
    } else out.push(p);
  }
  if (out.length === 0) throw new CrossrootError('REPO_KEYRING', 'no keyring files', { file: paths.join(', ') });
  return out;
}

/**
 * Runs gpgv with the keyrings and `args`, `input` on stdin; status lines come on fd 3.
 * As apt does, one good signature suffices and any bad one fails.
 */
async function gpgv(keyrings: string[], args: string[], input: Buffer | undefined, name: string): Promise<Buffer> {
  const program = findProgram('gpgv');
  if (program === undefined) throw new CrossrootError('HOST_MISSING_GPGV', 'gpgv is needed to check signatures: apt-get install gpgv');
  const child = spawn(program, [...keyrings.flatMap((k) => ['--keyring', k]), '--status-fd', '3', ...args], {
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const status: Buffer[] = [];
  child.stdout!.on('data', (c: Buffer) => out.push(c));
  child.stderr!.on('data', (c: Buffer) => err.push(c));
  (child.stdio[3] as NodeJS.ReadableStream).on('data', (c: Buffer) => status.push(c));
  child.stdin!.on('error', () => {});
  child.stdin!.end(input ?? Buffer.alloc(0));
  const code = await new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (c) => resolve(c ?? 255));
  });
  const lines = Buffer.concat(status).toString().split('\n');
  const valid = lines.some((l) => l.startsWith('[GNUPG:] VALIDSIG '));
  const bad = lines.find((l) => /^\[GNUPG:\] (BADSIG|EXPKEYSIG|REVKEYSIG|EXPSIG) /.test(l));
  if (!valid || bad !== undefined) {
    const why = bad?.replace('[GNUPG:] ', '') ?? (Buffer.concat(err).toString().trim().split('\n').pop() || `gpgv exit ${code}`);
    throw new CrossrootError('REPO_SIGNATURE', `signature check failed: ${why}`, { file: name });
  }
  return Buffer.concat(out);
}

/**
 * Verifies a clear-signed InRelease and returns the signed text exactly as gpgv verified it.
 *
 * @example
 * const body = await verifyClearsigned(inRelease, [DEFAULT_KEYRING], url);
 */
export async function verifyClearsigned(signed: Buffer, keyrings: string[], name: string): Promise<string> {
  return (await gpgv(keyrings, ['--output', '-', '-'], signed, name)).toString('utf8');
}

/** Verifies a Release against its detached Release.gpg. */
export async function verifyDetached(data: Buffer, signature: Buffer, keyrings: string[], name: string): Promise<void> {
  const dir = await mkdtemp(workDirectoryPrefix('gpgv'));
  const forget = removeOnInterrupt(dir);
  try {
    await writeFile(join(dir, 'Release'), data);
    await writeFile(join(dir, 'Release.gpg'), signature);
    await gpgv(keyrings, [join(dir, 'Release.gpg'), join(dir, 'Release')], undefined, name);
  } finally {
    await rm(dir, { recursive: true, force: true });
    forget();
  }
}
