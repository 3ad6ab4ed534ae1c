// Out of disk space — ENOSPC or EDQUOT, raised in this process or reported by a child (tar, xz,
// dpkg) in its own words — is the host's problem (exit 4), named with the file system that
// filled, so the user knows what to free or where to point crossroot instead.

import { statfs } from 'node:fs/promises';
import { CrossrootError } from '../errors.js';

const WORDS = /\bENOSPC\b|\bEDQUOT\b|No space left on device|Disk quota exceeded/;

/** Less than this free (for this user) after a failed write: the file system is what filled. */
export const NEARLY_FULL = 1024 * 1024;

/** True when `err` is, or reports, a write that found no space (or no quota) left. */
export function saysNoSpace(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT' || (err instanceof Error && WORDS.test(err.message));
}

/** Bytes free to this user on the file system of `dir`, or undefined when it cannot be asked. */
export async function bytesAvailable(dir: string): Promise<number | undefined> {
  try {
    const s = await statfs(dir);
    return s.bavail * s.bsize;
  } catch {
    return undefined;
  }
}

/** True when the file system of `dir` has less than NEARLY_FULL left. */
export async function nearlyFull(dir: string): Promise<boolean> {
  return ((await bytesAvailable(dir)) ?? Infinity) < NEARLY_FULL;
}

/**
 * HOST_NO_SPACE: `no space left on the file system of DIR while WHAT; ADVICE`.
 *
 * @example
 * throw noSpace(tmpdir(), 'building the root (TMPDIR)', 'set TMPDIR to a larger file system');
 */
export function noSpace(dir: string, what: string, advice: string, cause?: unknown): CrossrootError {
  return new CrossrootError('HOST_NO_SPACE', `no space left on the file system of ${dir} while ${what}; ${advice}`, {}, { cause });
}
