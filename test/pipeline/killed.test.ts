// A build killed with SIGKILL runs no handler and leaves its work files: the next ordinary run
// finds them (owner gone: host/stale.ts), removes them, and succeeds; afterwards TMPDIR and the
// cache hold nothing stale. One kill per stage: download, prepare, unpack, scripts, tarball.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runBuffer } from '../support/cli.js';
import { mirrorArgument } from '../support/mmdebstrap-oracle.js';

let work = '';
let server: Server;
let mirror = '';
/** While true, every .deb is sent half and then held: a download stays in flight. */
let stall = false;
const bodies = new Map<string, Promise<Buffer | null>>();

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'crossroot-killed-'));
  // The host's mirrors behind one local server (/m0, /m1, ...), so that downloads can be held.
  const lines = (await mirrorArgument()).split('\n');
  const uris = [...new Set(lines.map((l) => l.split(' ')[1]!))];
  server = createServer((req, res) => {
    const m = /^\/m(\d+)\/(.*)$/.exec(req.url ?? '');
    const upstream = m === null ? undefined : uris[Number(m[1])];
    if (m === null || upstream === undefined) return void res.writeHead(404).end();
    const url = `${upstream.replace(/\/$/, '')}/${m[2]}`;
    if (!bodies.has(url)) bodies.set(url, fetch(url).then(async (r) => (r.ok ? Buffer.from(await r.arrayBuffer()) : null)));
    bodies.get(url)!.then(
      (body) => {
        if (body === null) return void res.writeHead(404).end();
        res.writeHead(200, { 'content-length': String(body.length) });
        if (stall && url.endsWith('.deb')) res.write(body.subarray(0, body.length >> 1));
        else res.end(body);
      },
      () => res.writeHead(502).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  mirror = lines.map((l) => l.replace(/^(deb\S*) (\S+)/, (_, deb: string, uri: string) => `${deb} http://127.0.0.1:${port}/m${uris.indexOf(uri)}`)).join('\n');
}, 120_000);
afterAll(async () => {
  server?.closeAllConnections();
  server?.close();
  await rm(work, { recursive: true, force: true });
});

/** Every name under `dir`, recursively (relative). */
async function tree(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true }).catch(() => [] as string[])).sort();
}

const STALE = /\.partial-|crossroot-tmp-/;

interface Case {
  stage: string;
  /** Which caches to start from (hard links of the first case's, once it has run). */
  seed: ('sha256' | 'prepared-v1')[];
  /** The log line that says the stage has begun. */
  when: RegExp;
  /** What must be on disk before the kill: the stage's own leftovers. */
  left: (s: { tmp: string[]; cache: string[]; out: string[] }) => boolean;
}

const CASES: Case[] = [
  { stage: 'download', seed: [], when: /downloading \d+ packages/, left: (s) => s.cache.some((n) => /^sha256\/..\/[0-9a-f]{64}\.partial-/.test(n)) },
  { stage: 'prepare', seed: ['sha256'], when: /preparing \d+ packages/, left: (s) => s.cache.some((n) => n.startsWith('prepared-v1/') && n.includes('.partial-')) },
  { stage: 'unpack', seed: ['sha256', 'prepared-v1'], when: /unpacking \d+ packages/, left: (s) => s.tmp.some((n) => /^crossroot-root-/.test(n)) && s.tmp.some((n) => /^crossroot-staging-/.test(n)) },
  { stage: 'scripts', seed: ['sha256', 'prepared-v1'], when: /installing the essential set/, left: (s) => s.tmp.some((n) => /^crossroot-sandbox-/.test(n)) },
  { stage: 'tarball', seed: ['sha256', 'prepared-v1'], when: /writing .*root\.tar/, left: (s) => s.out.some((n) => /^\.root\.tar\.crossroot-tmp-/.test(n)) },
];

function build(scratch: string, cache: string, out: string, onLine?: (stderr: string) => void) {
  const child = spawn(process.execPath, [CLI, 'build', '--tools-root', 'host', '--cache-dir', cache, 'bookworm', join(out, 'root.tar'), mirror], {
    env: { ...process.env, TMPDIR: scratch, SOURCE_DATE_EPOCH: '1700000000' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
    onLine?.(stderr);
  });
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr })));
  return { child, done };
}

describe('a build killed with SIGKILL, then run again', () => {
  let first = '';
  for (const c of CASES) {
    it(`SIGKILL during ${c.stage}: the rerun removes what it left, succeeds, and leaves TMPDIR and the cache clean`, async () => {
      const scratch = join(work, `${c.stage}-tmp`);
      const cache = join(work, `${c.stage}-cache`);
      const out = join(work, `${c.stage}-out`);
      await Promise.all([mkdir(scratch), mkdir(out), mkdir(cache)]);
      for (const s of c.seed) await runBuffer('cp', ['-al', join(first, s), join(cache, s)]);
      if (first === '') first = cache;
      const state = async () => ({ tmp: await readdir(scratch), cache: await tree(cache), out: await readdir(out) });

      stall = c.stage === 'download';
      let begun = false;
      const killed = build(scratch, cache, out, (stderr) => void (begun ||= c.when.test(stderr)));
      // Kill once the stage has left its own files, so the kill is known to land inside it.
      let seen = false;
      for (let i = 0; i < 6000 && !seen; i++) {
        await new Promise((r) => setTimeout(r, 10));
        if (begun) seen = c.left(await state());
        if (killed.child.exitCode !== null) break;
      }
      killed.child.kill('SIGKILL');
      const k = await killed.done;
      stall = false;
      expect(seen, `${c.stage} left nothing to find before the kill:\n${k.stderr}`).toBe(true);
      expect(k.signal).toBe('SIGKILL');
      const leftover = await state();
      expect(c.left(leftover)).toBe(true);

      const r = await build(scratch, cache, out).done;
      expect(r.code, r.stderr).toBe(0);
      const after = await state();
      expect(after.tmp).toEqual([]);
      expect(after.out).toEqual(['root.tar']);
      expect(after.cache.filter((n) => STALE.test(n))).toEqual([]);
      expect(r.stderr).toMatch(/removed \d+ left by killed runs: /);
    }, 600_000);
  }
});
