// Fetch timeouts and retries, against servers on 127.0.0.1 that stall, fail, or refuse: each case
// bounded in time, with the timeout made small through the fetch policy (--fetch-timeout).
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Cache } from '../../src/repository/cache.js';
import { downloadAll } from '../../src/repository/download.js';
import { openUri, readUri, worstCaseMs, type FetchPolicy } from '../../src/repository/fetch.js';
import { crossroot } from '../support/cli.js';

const BODY = Buffer.from('x'.repeat(100_000));
const SHA = createHash('sha256').update(BODY).digest('hex');

interface TestServer {
  uri: string;
  /** Requests seen, as "METHOD path range". */
  seen: string[];
  close(): Promise<void>;
}

const servers: TestServer[] = [];
const sockets = new Set<Socket>();

async function serve(handler: (req: IncomingMessage, res: ServerResponse, n: number) => void): Promise<TestServer> {
  const seen: string[] = [];
  const server: Server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url} ${req.headers.range ?? ''}`.trim());
    handler(req, res, seen.length);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const t: TestServer = {
    uri: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  servers.push(t);
  return t;
}

/** A port nothing listens on: bound, then closed. */
async function refusedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

const retries: string[] = [];
const policy = (over: Partial<FetchPolicy> = {}): FetchPolicy => ({
  idleTimeoutMs: 200,
  retries: 2,
  backoffMs: 10,
  onRetry: (uri, err, attempt) => retries.push(`${attempt} ${err.code}`),
  ...over,
});

async function timed<T>(p: Promise<T>): Promise<{ ms: number; value?: T; error?: unknown }> {
  const t = Date.now();
  try {
    const value = await p;
    return { ms: Date.now() - t, value };
  } catch (error) {
    return { ms: Date.now() - t, error };
  }
}

let work = '';
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'crossroot-fetch-'));
});
afterEach(async () => {
  retries.length = 0;
  for (const s of sockets) s.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('a mirror that accepts the connection and sends nothing', () => {
  it('is REPO_FETCH_TIMEOUT after 1 + 2 attempts of 0.2 s each, not a hang', async () => {
    const s = await serve(() => {}); // never answers
    const r = await timed(readUri(`${s.uri}/dists/x/InRelease`, undefined, policy()));
    expect(r.error).toMatchObject({ code: 'REPO_FETCH_TIMEOUT' });
    expect((r.error as Error).message).toBe(`${s.uri}/dists/x/InRelease: no data for 0.2 s (after 3 attempts)`);
    // Three attempts, each given up after 0.2 s of silence; on a loaded machine an attempt can
    // time out before the server has read its request, so the server may see fewer.
    expect(s.seen.length).toBeGreaterThanOrEqual(1);
    expect(s.seen.length).toBeLessThanOrEqual(3);
    expect(retries).toEqual(['1 REPO_FETCH_TIMEOUT', '2 REPO_FETCH_TIMEOUT']);
    expect(r.ms).toBeGreaterThanOrEqual(3 * 200);
    expect(r.ms).toBeLessThan(worstCaseMs(policy()) + 1500);
  });

  it('a body that stalls halfway is resumed with a Range request and completes', async () => {
    const s = await serve((req, res, n) => {
      if (n === 1) {
        res.writeHead(200, { 'content-length': String(BODY.length) });
        res.write(BODY.subarray(0, 40_000)); // ...and then silence
        return;
      }
      const from = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1]);
      res.writeHead(206, { 'content-length': String(BODY.length - from), 'content-range': `bytes ${from}-${BODY.length - 1}/${BODY.length}` });
      res.end(BODY.subarray(from));
    });
    const r = await timed(readUri(`${s.uri}/pool/a.deb`, undefined, policy()));
    expect(r.error).toBeUndefined();
    expect(r.value!.equals(BODY)).toBe(true);
    expect(s.seen[1]).toMatch(/^GET \/pool\/a\.deb bytes=\d+-$/);
    expect(retries).toEqual(['1 REPO_FETCH_TIMEOUT']);
    expect(r.ms).toBeLessThan(3000);
  });

  it('crossroot resolve --fetch-timeout 0.2 --fetch-retries 1: exit 3 naming the InRelease, the retry in the log', async () => {
    const s = await serve(() => {});
    const t = Date.now();
    const r = await crossroot(['resolve', '--fetch-timeout', '0.2', '--fetch-retries', '1', '--cache-dir', join(work, 'cache'), 'test', `deb ${s.uri} test main`]);
    expect(Date.now() - t).toBeLessThan(10_000);
    expect(r.code, r.stderr).toBe(3);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toEqual([
      `crossroot: retrying (1 of 1) ${s.uri}/dists/test/InRelease: no data for 0.2 s`,
      `crossroot: ${s.uri}/dists/test/InRelease: no data for 0.2 s (after 2 attempts)`,
    ]);
    expect(s.seen).toHaveLength(2);
  });
});

describe('HTTP errors', () => {
  it('503, then 200: retried once, the body is the 200\'s', async () => {
    const s = await serve((req, res, n) => {
      if (n === 1) res.writeHead(503, 'Service Unavailable').end();
      else res.writeHead(200, { 'content-length': String(BODY.length) }).end(BODY);
    });
    const r = await timed(readUri(`${s.uri}/dists/x/InRelease`, undefined, policy()));
    expect(r.error).toBeUndefined();
    expect(r.value!.equals(BODY)).toBe(true);
    expect(s.seen).toHaveLength(2);
    expect(retries).toEqual(['1 REPO_FETCH']);
  });

  it('503 every time: REPO_FETCH naming the status after 3 attempts', async () => {
    const s = await serve((req, res) => res.writeHead(503, 'Service Unavailable').end());
    const r = await timed(openUri(`${s.uri}/x`, policy()));
    expect(r.error).toMatchObject({ code: 'REPO_FETCH' });
    expect((r.error as Error).message).toBe(`${s.uri}/x: HTTP 503 Service Unavailable (after 3 attempts)`);
    expect(s.seen).toHaveLength(3);
  });

  it('403 is not retried; 404 is "absent" (undefined), not retried', async () => {
    const s = await serve((req, res) => res.writeHead(req.url === '/forbidden' ? 403 : 404).end());
    const r = await timed(openUri(`${s.uri}/forbidden`, policy()));
    expect(r.error).toMatchObject({ code: 'REPO_FETCH' });
    expect((r.error as Error).message).toBe(`${s.uri}/forbidden: HTTP 403 Forbidden`);
    expect(await openUri(`${s.uri}/missing`, policy())).toBeUndefined();
    expect(s.seen).toHaveLength(2);
    expect(retries).toEqual([]);
  });

  it('downloadAll: a .deb answered 503 then 200 lands verified in the cache', async () => {
    const s = await serve((req, res, n) => {
      if (n === 1) res.writeHead(503).end();
      else res.writeHead(200, { 'content-length': String(BODY.length) }).end(BODY);
    });
    const cache = new Cache(join(work, 'dl-cache'));
    const item = { package: 'a', version: '1', architecture: 'all', filename: 'pool/a_1_all.deb', size: BODY.length, sha256: SHA, origins: [s.uri] };
    const [path] = await downloadAll([item], cache, { jobs: 1, fetch: policy() });
    expect((await readFile(path!)).equals(BODY)).toBe(true);
    expect(s.seen).toEqual(['GET /pool/a_1_all.deb', 'GET /pool/a_1_all.deb']);
  });
});

describe('a refused connection', () => {
  it('is REPO_FETCH naming ECONNREFUSED after 1 + 2 attempts, within the backoff', async () => {
    const port = await refusedPort();
    const r = await timed(openUri(`http://127.0.0.1:${port}/dists/x/InRelease`, policy({ backoffMs: 50 })));
    expect(r.error).toMatchObject({ code: 'REPO_FETCH' });
    expect((r.error as Error).message).toBe(`http://127.0.0.1:${port}/dists/x/InRelease: cannot fetch: ECONNREFUSED (after 3 attempts)`);
    expect(retries).toEqual(['1 REPO_FETCH', '2 REPO_FETCH']);
    expect(r.ms).toBeGreaterThanOrEqual(50 + 100);
    expect(r.ms).toBeLessThan(3000);
  });

  it('with --fetch-retries 0 it is one attempt', async () => {
    const port = await refusedPort();
    const r = await timed(openUri(`http://127.0.0.1:${port}/x`, policy({ retries: 0 })));
    expect((r.error as Error).message).toBe(`http://127.0.0.1:${port}/x: cannot fetch: ECONNREFUSED`);
    expect(retries).toEqual([]);
  });
});

describe('the worst case --help states', () => {
  it('4 x 30 s + 1 + 2 + 4 s = 127 s with the defaults', async () => {
    const { DEFAULT_FETCH_POLICY } = await import('../../src/repository/fetch.js');
    expect(worstCaseMs(DEFAULT_FETCH_POLICY)).toBe(127_000);
    const help = await crossroot(['resolve', '--help']);
    expect(help.stdout).toContain('4 x 30 s + 7 s of waits = 127 s per file');
  });
});
