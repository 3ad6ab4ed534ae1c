// Runs for the fault tests (killed.test, interrupt.test): crossroot started with a TMPDIR of its
// own and signalled when a log line appears, the host's mirrors behind a local server that can
// hold downloads in flight, and what counts as stale work afterwards.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CLI } from './cli.js';
import { mirrorLineParts } from './real-debs.js';

/** What a run leaves when it is stopped without its clean-up: partial cache files, temporary outputs. */
export const STALE = /\.partial-|crossroot-tmp-/;

/** Every name under `dir`, recursively (relative), sorted; none for a missing directory. */
export async function tree(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true }).catch(() => [] as string[])).sort();
}

export interface CrossrootRun {
  child: ChildProcess;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

/** Starts `crossroot ARGS` with `env` added; `onStderr` sees the whole stderr so far after each chunk. */
export function startCrossroot(args: string[], env: NodeJS.ProcessEnv, onStderr?: (stderr: string) => void): CrossrootRun {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => {
    stderr += c.toString();
    onStderr?.(stderr);
  });
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr })));
  return { child, done };
}

/**
 * Runs `crossroot ARGS` and sends `signal` once its stderr matches `when`. Resolves with the exit
 * code (or the signal that killed it), whether the signal was sent, and stderr.
 */
export async function interruptedRun(args: string[], env: NodeJS.ProcessEnv, when: RegExp, signal: NodeJS.Signals) {
  let sent = false;
  const run = startCrossroot(args, env, (stderr) => {
    if (!sent && when.test(stderr)) {
      sent = true;
      run.child.kill(signal);
    }
  });
  const r = await run.done;
  return { code: r.code, killedBy: r.signal, sent, stderr: r.stderr };
}

export interface StallingMirror {
  /** The mirror lines, each URI replaced by this server's. */
  lines: string;
  /** While true, every .deb is sent half and then held: a download stays in flight. */
  stall: boolean;
  close(): void;
}

/** The host's mirrors (`lines`, one a line) behind one local server (/m0, /m1, ...), so that downloads can be held. */
export async function startStallingMirror(lines: string): Promise<StallingMirror> {
  const list = lines.split('\n');
  const uris = [...new Set(list.map((l) => mirrorLineParts(l).uri))];
  const bodies = new Map<string, Promise<Buffer | null>>();
  const mirror = { lines: '', stall: false, close: () => {} };
  const server = createServer((req, res) => {
    const m = /^\/m(\d+)\/(.*)$/.exec(req.url ?? '');
    const upstream = m === null ? undefined : uris[Number(m[1])];
    if (m === null || upstream === undefined) return void res.writeHead(404).end();
    const url = `${upstream.replace(/\/$/, '')}/${m[2]}`;
    if (!bodies.has(url)) bodies.set(url, fetch(url).then(async (r) => (r.ok ? Buffer.from(await r.arrayBuffer()) : null)));
    bodies.get(url)!.then(
      (body) => {
        if (body === null) return void res.writeHead(404).end();
        res.writeHead(200, { 'content-length': String(body.length) });
        if (mirror.stall && url.endsWith('.deb')) res.write(body.subarray(0, body.length >> 1));
        else res.end(body);
      },
      () => res.writeHead(502).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  mirror.lines = list.map((l) => l.replace(mirrorLineParts(l).uri, `http://127.0.0.1:${port}/m${uris.indexOf(mirrorLineParts(l).uri)}`)).join('\n');
  mirror.close = () => {
    server.closeAllConnections();
    server.close();
  };
  return mirror;
}
