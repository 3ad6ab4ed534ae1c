// A mirror on 127.0.0.1 that proxies the host's real mirror, counts requests, and can lie.
//
// Tests use it to see what crossroot fetches (a warm cache must fetch no .deb) and to feed
// it a tampered InRelease, a tampered index, a .deb with the wrong bytes, or a truncated
// download -- copies of the real files, changed in one place.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How to change a response: the bytes to send, 'truncate' (half, then hang up) or 'missing' (404). */
export type Tamper = (path: string, body: Buffer) => Buffer | 'truncate' | 'missing' | undefined;

export interface MirrorProxy {
  uri: string;
  requests: string[];
  tamper: Tamper | undefined;
  close(): Promise<void>;
}

const cache = new Map<string, Buffer | null>();

async function upstreamGet(url: string): Promise<Buffer | null> {
  if (cache.has(url)) return cache.get(url)!;
  const res = await fetch(url);
  const body = res.ok ? Buffer.from(await res.arrayBuffer()) : null;
  // Indices and packages are immutable by name (or by hash); InRelease is cached per test run.
  cache.set(url, body);
  return body;
}

/**
 * Starts a proxy for `upstream` (an archive root URI). Paths are passed through unchanged,
 * so the proxy's URI can stand in for the mirror in a "deb URI SUITE main" line.
 */
export async function startMirrorProxy(upstream: string): Promise<MirrorProxy> {
  const proxy: MirrorProxy = { uri: '', requests: [], tamper: undefined, close: async () => {} };
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').replace(/^\/+/, '');
    proxy.requests.push(path);
    upstreamGet(`${upstream}/${path}`).then(
      (body) => {
        const changed = body === null ? undefined : proxy.tamper?.(path, body);
        if (body === null || changed === 'missing') {
          res.writeHead(404).end();
          return;
        }
        if (changed === 'truncate') {
          res.writeHead(200, { 'content-length': String(body.length) });
          res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.destroy());
          return;
        }
        const out = changed ?? body;
        res.writeHead(200, { 'content-length': String(out.length) }).end(out);
      },
      () => res.writeHead(502).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.uri = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () => new Promise((resolve) => server.close(() => resolve()));
  return proxy;
}
