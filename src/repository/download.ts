// Package downloads — parallel, verified while streaming, into the content-addressed cache.

import pLimit from 'p-limit';
import { CrossrootError } from '../errors.js';
import type { Cache } from './cache.js';
import { joinUri, openUri, type FetchPolicy } from './fetch.js';
import { archivePathProblem } from '../formats/index/archive-path.js';

/** What to download: a package's Filename, size and digest, and the mirrors that may have it. */
export interface DownloadItem {
  package: string;
  version: string;
  architecture: string;
  filename: string;
  size: number;
  sha256: string;
  /** Archive root URIs to try, in order. */
  origins: string[];
}

/** Progress events, one per package, for the CLI to draw. */
export interface DownloadProgress {
  (event: { done: number; total: number; bytes: number; totalBytes: number; item: DownloadItem; cached: boolean }): void;
}

/**
 * Makes every item present in the cache, downloading what is missing with at most `jobs`
 * transfers at once. Returns the cached path of each item, in input order. A package that
 * no origin has is REPO_MISSING naming the package.
 *
 * @example
 * const paths = await downloadAll(items, cache, { jobs: 4 });
 */
export async function downloadAll(
  items: DownloadItem[],
  cache: Cache,
  opts: {
    jobs: number;
    progress?: DownloadProgress;
    /** Timeouts and retries (default: 30 s, 3 retries). */ fetch?: FetchPolicy;
    /** Hears of cached files that failed their check (and are downloaded again). */ log?: (line: string) => void;
  },
): Promise<string[]> {
  const limit = pLimit(Math.max(1, opts.jobs));
  const totalBytes = items.reduce((n, i) => n + i.size, 0);
  let done = 0;
  let bytes = 0;
  return Promise.all(
    items.map((item) =>
      limit(async () => {
        let corrupt: string | undefined;
        let path = await cache.lookup(item, (p, problem) => {
          corrupt = `the cached copy ${p} was damaged (${problem}) and has been removed`;
          opts.log?.(`${item.filename.split('/').pop()}: ${corrupt}; downloading it again`);
        });
        const cached = path !== undefined;
        if (path === undefined) path = await fetchOne(item, cache, opts.fetch, corrupt);
        done++;
        bytes += item.size;
        opts.progress?.({ done, total: items.length, bytes, totalBytes, item, cached });
        return path;
      }),
    ),
  );
}

async function fetchOne(item: DownloadItem, cache: Cache, policy: FetchPolicy | undefined, corrupt: string | undefined): Promise<string> {
  // Indexes and lockfiles refuse such names when read; items made by library callers come here unchecked.
  const problem = archivePathProblem(item.filename);
  if (problem !== undefined) {
    throw new CrossrootError('REPO_UNSAFE_FILENAME', `${item.package} ${item.version}: Filename ${JSON.stringify(item.filename)} ${problem}`, { package: item.package });
  }
  for (const origin of item.origins) {
    const uri = joinUri(origin, item.filename);
    // A silent, refusing or failing (5xx) mirror is retried inside openUri, a broken transfer
    // resumed there; what comes out of it has had its retries.
    const body = await openUri(uri, policy);
    if (body !== undefined) return cache.store(body, item, uri);
  }
  throw new CrossrootError(
    'REPO_MISSING',
    `${item.package} ${item.version} (${item.filename}) is neither in the cache nor on the mirror${item.origins.length > 1 ? 's' : ''}${corrupt === undefined ? '' : `: ${corrupt}`}`,
    { package: item.package },
  );
}
