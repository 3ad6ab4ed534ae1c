// Fetching from a mirror — http(s) and file:// URIs as byte streams, with errors naming the URL,
// a bound on silence and a bounded number of retries with backoff (apt's defaults: a 30 s
// timeout, Acquire::Retries 3, delays of 1, 2, 4 s as apt-pkg/acquire-worker.cc waits).

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { CrossrootError } from '../errors.js';

/** Counts requests per URI scheme; tests read it to prove a warm cache stays off the network. */
export const fetchStats = { requests: 0, byUrl: [] as string[] };

/** How long to wait for a mirror and how often to try again. */
export interface FetchPolicy {
  /** No byte (connection, headers or body) for this long aborts the attempt. */
  idleTimeoutMs: number;
  /** Further attempts after a failed one (refused, DNS, reset, timeout, HTTP 5xx; never 4xx). */
  retries: number;
  /** The wait before the first retry; it doubles for each next one. */
  backoffMs: number;
  /** Told of each retry, so a slow mirror is visible. */
  onRetry?: (uri: string, err: CrossrootError, attempt: number) => void;
}

export const DEFAULT_FETCH_POLICY: FetchPolicy = { idleTimeoutMs: 30_000, retries: 3, backoffMs: 1_000 };

/** The longest a file can take to fail when the mirror never sends a byte. */
export function worstCaseMs(p: FetchPolicy): number {
  let backoff = 0;
  for (let i = 0; i < p.retries; i++) backoff += p.backoffMs * 2 ** i;
  return (p.retries + 1) * p.idleTimeoutMs + backoff;
}

/** Joins a base URI and a path inside the archive. */
export function joinUri(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

/** Failures worth another attempt: the mirror or the network may do better a moment later. */
const transient = new WeakSet<CrossrootError>();

function failure(code: `REPO_${string}`, detail: string, uri: string, retry: boolean): CrossrootError {
  const e = new CrossrootError(code, detail, { file: uri });
  if (retry) transient.add(e);
  return e;
}

/** The system's name for a network failure (ECONNREFUSED, ENOTFOUND...), else undici's words ("other side closed"). */
function networkCause(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code !== undefined && /^E[A-Z_]+$/.test(cause.code)) return cause.code;
  return cause?.message ?? (err as Error).message;
}

/**
 * One http(s) request: resolves to the response once its headers came, its body a stream of
 * chunks; the idle timer runs from the start (connect, DNS, headers) and restarts on every chunk.
 * `from` > 0 asks for the rest of a file (a Range request); a server that ignores it sends
 * everything and the first `from` bytes are dropped here.
 */
async function request(uri: string, from: number, policy: FetchPolicy): Promise<AsyncIterable<Buffer> | undefined> {
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = true;
      abort.abort();
    }, policy.idleTimeoutMs);
    // The socket keeps the process alive while a transfer runs; the timer alone must not.
    timer.unref();
  };
  const stalled = () => failure('REPO_FETCH_TIMEOUT', `no data for ${policy.idleTimeoutMs / 1000} s`, uri, true);
  arm();
  let res: Response;
  try {
    res = await fetch(uri, { redirect: 'follow', signal: abort.signal, headers: from > 0 ? { range: `bytes=${from}-` } : {} });
  } catch (err) {
    clearTimeout(timer);
    if (timedOut) throw stalled();
    throw failure('REPO_FETCH', `cannot fetch: ${networkCause(err)}`, uri, true);
  }
  if (res.status === 404 || res.status === 410) {
    clearTimeout(timer);
    await res.body?.cancel().catch(() => {});
    return undefined;
  }
  const partial = from > 0 && res.status === 206;
  if (!(res.status === 200 || partial) || res.body === null) {
    clearTimeout(timer);
    await res.body?.cancel().catch(() => {});
    throw failure('REPO_FETCH', `HTTP ${res.status} ${res.statusText}`, uri, res.status >= 500);
  }
  const reader = res.body.getReader();
  let skip = partial ? 0 : from;
  return (async function* () {
    try {
      arm();
      for (;;) {
        let chunk: { done: boolean; value?: Uint8Array };
        try {
          chunk = await reader.read();
        } catch (err) {
          if (timedOut) throw stalled();
          throw failure('REPO_FETCH', `download interrupted: ${networkCause(err)}`, uri, true);
        }
        if (chunk.done || chunk.value === undefined) return;
        arm();
        let buf = Buffer.from(chunk.value.buffer, chunk.value.byteOffset, chunk.value.byteLength);
        if (skip > 0) {
          const n = Math.min(skip, buf.length);
          skip -= n;
          buf = buf.subarray(n);
          if (buf.length === 0) continue;
        }
        yield buf;
      }
    } finally {
      clearTimeout(timer);
      // A consumer that stops early (or an error) must not leave the socket open.
      abort.abort();
    }
  })();
}

/**
 * An http(s) URI whose failures are retried: opening (refused, DNS, timeout, 5xx) and, once bytes
 * flowed, a broken or stalled body, resumed where it broke. One budget of `retries` covers
 * both; the error after the last attempt says how many there were.
 */
async function openHttp(uri: string, policy: FetchPolicy): Promise<AsyncIterable<Buffer> | undefined> {
  let attempt = 0;
  const retryAfter = async (err: unknown): Promise<void> => {
    if (!(err instanceof CrossrootError) || !transient.has(err) || attempt >= policy.retries) {
      if (err instanceof CrossrootError && transient.has(err) && attempt > 0) {
        throw new CrossrootError(err.code, `${err.detail} (after ${attempt + 1} attempts)`, err.context);
      }
      throw err;
    }
    policy.onRetry?.(uri, err, attempt + 1);
    await sleep(policy.backoffMs * 2 ** attempt);
    attempt++;
  };
  let first: AsyncIterable<Buffer> | undefined;
  for (;;) {
    try {
      first = await request(uri, 0, policy);
      break;
    } catch (err) {
      await retryAfter(err);
    }
  }
  if (first === undefined) return undefined;
  let body: AsyncIterable<Buffer> = first;
  return (async function* () {
    let offset = 0;
    for (;;) {
      try {
        for await (const c of body) {
          offset += c.length;
          yield c;
        }
        return;
      } catch (err) {
        await retryAfter(err);
        for (;;) {
          try {
            const next = await request(uri, offset, policy);
            if (next === undefined) throw new CrossrootError('REPO_FETCH', 'disappeared from the mirror during the download', { file: uri });
            body = next;
            break;
          } catch (e) {
            await retryAfter(e);
          }
        }
      }
    }
  })();
}

/**
 * Opens a URI for reading. `undefined` when the server or the file system says it does not
 * exist (so callers can try another name); other failures are REPO_FETCH errors
 * (REPO_FETCH_TIMEOUT when the mirror went silent), after `policy.retries` further attempts.
 *
 * @example
 * const body = await openUri('file:///srv/mirror/dists/bookworm/InRelease');
 */
export async function openUri(uri: string, policy: FetchPolicy = DEFAULT_FETCH_POLICY): Promise<AsyncIterable<Buffer> | undefined> {
  fetchStats.requests++;
  fetchStats.byUrl.push(uri);
  if (uri.startsWith('file://') || uri.startsWith('copy://')) {
    const path = fileURLToPath(uri.replace(/^copy:/, 'file:'));
    const st = await stat(path).catch(() => undefined);
    if (st === undefined || !st.isFile()) return undefined;
    return createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>;
  }
  if (!/^https?:\/\//.test(uri)) throw new CrossrootError('REPO_FETCH', 'unsupported URI scheme', { file: uri });
  return openHttp(uri, policy);
}

/** Reads a whole (small) URI into memory; undefined when it does not exist. */
export async function readUri(uri: string, cap = 64 << 20, policy: FetchPolicy = DEFAULT_FETCH_POLICY): Promise<Buffer | undefined> {
  const body = await openUri(uri, policy);
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
