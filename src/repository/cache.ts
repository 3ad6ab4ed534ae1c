// Content-addressed download cache — only bytes whose size and SHA256 were verified enter it.

import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { CrossrootError } from '../errors.js';
import { removeOnInterrupt } from '../host/interrupt.js';

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

  /** The cached path if present with the right size (its name is its digest), else undefined. */
  async lookup(want: Expected): Promise<string | undefined> {
    const p = this.pathFor(want.sha256);
    const st = await stat(p).catch(() => undefined);
    return st?.isFile() && st.size === want.size ? p : undefined;
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
    const tmp = `${final}.partial-${process.pid}-${++partials}`;
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
