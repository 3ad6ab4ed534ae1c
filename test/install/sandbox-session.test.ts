// Tests for the sandbox session — one sandbox, many commands, each as if in a sandbox of its own.
// (The guarantees shared with runInSandbox — read-only host, private /tmp, pipes, pid
// namespace, capabilities, tools root — are tested for both in sandbox.test.ts.)

import { chmod, realpath, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CrossrootError, exitCodeFor } from '../../src/errors.js';
import { SandboxSession } from '../../src/install/sandbox-session.js';
import { scratchDir } from '../support/sandbox-debs.js';

describe('a sandbox session', () => {
  let root: string;
  let session: SandboxSession;
  beforeAll(async () => {
    root = await realpath(await scratchDir('session'));
    session = new SandboxSession({ writable: [root] });
  });
  afterAll(async () => {
    await session.close();
    await rm(root, { recursive: true, force: true });
  });
  const sh = (script: string, env: Record<string, string> = {}, umask?: number) => session.run(['/bin/sh', '-c', script], { cwd: root, env, umask });

  it('passes each command exactly its environment and arguments, whatever their bytes', async () => {
    const tricky = ["it's", 'two\nlines', '', '$HOME `id` \\ "q"', 'ü €', ' lead and trail '];
    const env = Object.fromEntries(tricky.map((v, i) => [`V${i}`, v]));
    const r = await session.run(['/usr/bin/env', '-0'], { cwd: root, env });
    expect(r.exitCode).toBe(0);
    const seen = r.stdout.split('\0').filter((l) => l !== '');
    expect(seen.sort()).toEqual(Object.entries(env).map(([k, v]) => `${k}=${v}`).sort());
    const a = await session.run(['/usr/bin/printf', '%s\\0', ...tricky], { cwd: root, env: {} });
    expect(a.stdout.split('\0').slice(0, -1)).toEqual(tricky);
  });

  it('gives each command its own working directory, umask and exit code', async () => {
    const r = await session.run(['/bin/sh', '-c', 'pwd; umask; exit 7'], { cwd: '/usr', env: {}, umask: 0o027 });
    expect(r).toMatchObject({ exitCode: 7, stdout: '/usr\n0027\n' });
    const d = await sh('umask');
    expect(d.stdout).toBe('0022\n');
  });

  it('kills what a command left running before the next one starts', async () => {
    // Detached from the command (own session, no pipes held): only the session can end it.
    const first = await sh('setsid sleep 1000 </dev/null >/dev/null 2>&1 & echo started');
    expect(first).toMatchObject({ exitCode: 0, stdout: 'started\n' });
    const second = await sh('for p in /proc/[0-9]*; do cat "$p/comm" 2>/dev/null; done | grep -c "^sleep$"');
    expect(second.stdout).toBe('0\n');
  });

  it('leaves /tmp and /run empty for the next command, and the writable root as it was', async () => {
    await sh(`touch /tmp/a /tmp/.b /run/c; mkdir -p /tmp/d/e; echo kept > ${root}/kept`);
    const r = await sh('ls -A /tmp /run');
    // Only what holds the mount points: the control directory, the root's parent if under /tmp.
    const rootParent = root.startsWith('/tmp/') ? `${root.split('/')[2]}\n` : '';
    expect(r.stdout).toBe(`/run:\ncrossroot\n\n/tmp:\n${rootParent}`);
    const k = await sh(`cat ${root}/kept`);
    expect(k.stdout).toBe('kept\n');
  });

  it('keeps a writable directory that lies under /tmp (its mount point is not emptied)', async () => {
    const under = await realpath(await scratchDir('session-under-tmp'));
    expect(under.startsWith('/tmp/')).toBe(true);
    const s = new SandboxSession({ writable: [under] });
    try {
      await s.run(['/bin/sh', '-c', `echo one > ${under}/file; touch /tmp/scratch`], { cwd: under, env: {} });
      const r = await s.run(['/bin/sh', '-c', `cat ${under}/file; ls /tmp`], { cwd: under, env: {} });
      expect(r.stdout).toBe(`one\n${under.split('/')[2]}\n`);
    } finally {
      await s.close();
      await rm(under, { recursive: true, force: true });
    }
  });

  it('after a command that timed out, the next one runs in a new sandbox', async () => {
    const t = await session.run(['/bin/sh', '-c', 'sleep 30'], { cwd: root, env: {}, timeoutMs: 300 });
    expect(t.exitCode).toBe(137);
    const r = await sh('echo again');
    expect(r).toMatchObject({ exitCode: 0, stdout: 'again\n' });
  });

  it('close() ends it; a later command starts a new one', async () => {
    const s = new SandboxSession({ writable: [root] });
    await s.run(['/bin/true'], { cwd: root, env: {} });
    await s.close();
    const r = await s.run(['/bin/sh', '-c', 'echo new'], { cwd: root, env: {} });
    expect(r.stdout).toBe('new\n');
    await s.close();
  });

  it('refuses a command env(1) would take for an assignment, and NUL bytes', async () => {
    await expect(session.run(['/a=b'], { cwd: root, env: {} })).rejects.toThrow(/contains "="/);
    await expect(session.run(['/bin/true', 'a\0b'], { cwd: root, env: {} })).rejects.toThrow(/NUL/);
    await expect(session.run(['/bin/true'], { cwd: root, env: { 'A=B': 'c' } })).rejects.toMatchObject({ code: 'INSTALL_BAD_ENVIRONMENT' });
  });

  it('bwrap failing to create namespaces: exit 4, with the fix', async () => {
    const fake = join(root, 'bwrap');
    await writeFile(fake, '#!/bin/sh\necho "bwrap: Creating new namespace failed: Operation not permitted" >&2\nexit 1\n');
    await chmod(fake, 0o755);
    const s = new SandboxSession({ writable: [root], bwrap: fake });
    const err = await s.run(['/bin/true'], { cwd: root, env: {} }).catch((e: unknown) => e);
    await s.close();
    expect(err).toBeInstanceOf(CrossrootError);
    expect((err as CrossrootError).code).toBe('HOST_SANDBOX_UNAVAILABLE');
    expect(exitCodeFor(err)).toBe(4);
    expect((err as Error).message).toContain('Creating new namespace failed: Operation not permitted');
  });
});
