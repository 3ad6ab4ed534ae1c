// Content-addressed download cache — only bytes whose size and SHA256 were verified enter it,
// and only bytes that still have them leave it.

import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { lstat, mkdir, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { CrossrootError } from '../errors.js';
import { fileDigest } from '../host/file-digest.js';
import { removeOnInterrupt } from '../host/interrupt.js';
import { ownerTag } from '../host/stale.js';

/** What a file must be: the archive's size and SHA256 for it. */
export interface Expected {
  size: number;
  sha256: string;
}

/** The default cache directory: `$XDG_CACHE_HOME/crossroot`, else `~/.cache/crossroot`. */
export function defaultCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'crossroot');
}

/**
 * Files stored under their SHA256 (`sha256/ab/abcdef...`). A file is written to a temporary
 * name beside its final place, checked while streaming, and renamed only when its size and
 * digest are right; an interrupted run leaves at most a temporary file, removed on failure
 * and never read.
 */
let partials = 0;

export class Cache {
  readonly dir: string;

  constructor(dir: string = defaultCacheDir()) {
    this.dir = dir;
  }

  /** The path a verified file with this digest has in the cache. */
  pathFor(sha256: string): string {
    return join(this.dir, 'sha256', sha256.slice(0, 2), sha256);
  }

  /**
   * The cached path of a file, checked now: a regular file of the right size whose every
   * byte hashes to its name. Content-addressed means checked when used as well as when
   * stored: a file can change after it entered (a failing disk, a hand, a maintainer script
   * writing through the hard link a build puts into its root). A file that fails the check
   * is removed, so that it is downloaded again, and `onCorrupt` hears what was wrong.
   *
   * @example
   * const path = await cache.lookup({ size, sha256 }, (p, why) => log(`${p}: ${why}`));
   */
  async lookup(want: Expected, onCorrupt?: (path: string, problem: string) => void): Promise<string | undefined> {
    const p = this.pathFor(want.sha256);
    const st = await lstat(p).catch(() => undefined);
    if (st === undefined) return undefined;
    let problem: string | undefined;
    let identity = { dev: st.dev, ino: st.ino };
    if (!st.isFile()) problem = 'not a regular file';
    else if (st.size !== want.size) problem = `${st.size} bytes, not the ${want.size} the archive lists`;
    else {
      const got = await fileDigest(p).catch(() => undefined);
      if (got === undefined) return undefined; // gone meanwhile (another run removed it)
      identity = got;
      if (got.sha256 !== want.sha256) problem = `SHA256 ${got.sha256}, not the ${want.sha256} it is stored under`;
    }
    if (problem === undefined) return p;
    onCorrupt?.(p, problem);
    // Only the file that was checked: another run may have put a good one in its place since.
    const now = await lstat(p).catch(() => undefined);
    if (now !== undefined && now.dev === identity.dev && now.ino === identity.ino) await rm(p, { recursive: true, force: true });
    return undefined;
  }

  /**
   * Stores a stream after checking it against `want`; the error names `name` (a URL or file)
   * when the bytes are wrong, and nothing is left in the cache.
   *
   * @example
   * const path = await cache.store(await openUri(url), { size, sha256 }, url);
   */
  async store(source: AsyncIterable<Buffer>, want: Expected, name: string): Promise<string> {
    const final = this.pathFor(want.sha256);
    await mkdir(join(final, '..'), { recursive: true });
    const tmp = `${final}.partial-${ownerTag()}-${++partials}`; // a killed run's is removed by the next (stale.ts)
    const forget = removeOnInterrupt(tmp);
    const hash = createHash('sha256');
    let size = 0;
    try {
      await pipeline(
        source,
        async function* (chunks: AsyncIterable<Buffer>) {
          for await (const c of chunks) {
            size += c.length;
            if (size > want.size) {
              throw new CrossrootError('REPO_SIZE', `larger than the ${want.size} bytes the archive lists`, { file: name });
            }
            hash.update(c);
            yield c;
          }
        },
        createWriteStream(tmp),
      );
      if (size !== want.size) {
        throw new CrossrootError('REPO_SIZE', `truncated: ${size} of ${want.size} bytes`, { file: name });
      }
      const got = hash.digest('hex');
      if (got !== want.sha256) {
        throw new CrossrootError('REPO_DIGEST', `SHA256 mismatch: expected ${want.sha256}, got ${got}`, { file: name });
      }
      await rename(tmp, final);
      return final;
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    } finally {
      forget();
    }
  }
}
