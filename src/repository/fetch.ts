// Fetching from a mirror — http(s) and file:// URIs as byte streams, with errors naming the URL.

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { CrossrootError } from '../errors.js';

/** Counts requests per URI scheme; tests read it to prove a warm cache stays off the network. */
export const fetchStats = { requests: 0, byUrl: [] as string[] };

/** Joins a base URI and a path inside the archive. */
export function joinUri(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

/**
 * Opens a URI for reading. `undefined` when the server or the file system says it does not
 * exist (so callers can try another name); other failures are REPO_FETCH errors.
 *
 * @example
 * const body = await openUri('file:///srv/mirror/dists/bookworm/InRelease');
 */
export async function openUri(uri: string): Promise<AsyncIterable<Buffer> | undefined> {
  fetchStats.requests++;
  fetchStats.byUrl.push(uri);
  if (uri.startsWith('file://') || uri.startsWith('copy://')) {
    const path = fileURLToPath(uri.replace(/^copy:/, 'file:'));
    const st = await stat(path).catch(() => undefined);
    if (st === undefined || !st.isFile()) return undefined;
    return createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>;
  }
  if (!/^https?:\/\//.test(uri)) throw new CrossrootError('REPO_FETCH', 'unsupported URI scheme', { file: uri });
  let res: Response;
  try {
    res = await fetch(uri, { redirect: 'follow' });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new CrossrootError('REPO_FETCH', `cannot fetch: ${cause?.code ?? cause?.message ?? (err as Error).message}`, { file: uri });
  }
  if (res.status === 404 || res.status === 410) {
    await res.body?.cancel();
    return undefined;
  }
  if (!res.ok || res.body === null) {
    await res.body?.cancel();
    throw new CrossrootError('REPO_FETCH', `HTTP ${res.status} ${res.statusText}`, { file: uri });
  }
  const body = Readable.fromWeb(res.body as never) as AsyncIterable<Buffer>;
  return (async function* () {
    try {
      yield* body;
    } catch (err) {
      throw new CrossrootError('REPO_FETCH', `download interrupted: ${(err as Error).message}`, { file: uri });
    }
  })();
}

/** Reads a whole (small) URI into memory; undefined when it does not exist. */
export async function readUri(uri: string, cap = 64 << 20): Promise<Buffer | undefined> {
  const body = await openUri(uri);
  if (body === undefined) return undefined;
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of body) {
    n += c.length;
    if (n > cap) throw new CrossrootError('REPO_FETCH', `larger than ${cap} bytes`, { file: uri });
    parts.push(c);
  }
  return Buffer.concat(parts);
}
