// Tests for the script sandbox — the host is sacred: a script that ignores DPKG_ROOT must fail, not write to the host.

import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, mkdir, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CrossrootError, exitCodeFor } from '../../src/errors.js';
import { MaintainerScriptError, maintainerScriptPath, runMaintainerScript } from '../../src/install/maintscript.js';
import { SANDBOX_CAPABILITIES, bwrapArguments, runInSandbox } from '../../src/install/sandbox.js';
import { SandboxSession } from '../../src/install/sandbox-session.js';
import { realDebs } from '../support/real-debs.js';
import { emptyDpkgRoot, hostArch, scratchDir, storeScript } from '../support/sandbox-debs.js';
import { fingerprintChanges, hostFingerprint } from '../support/sandbox-host-state.js';

const work: string[] = [];
afterAll(async () => {
  for (const w of work) await rm(w, { recursive: true, force: true });
});

async function newRoot(prefix: string): Promise<string> {
  const w = await realpath(await scratchDir(prefix));
  work.push(w);
  return emptyDpkgRoot(join(w, 'root'), 'amd64');
}

// Every guarantee holds for a script in a sandbox of its own and for one run in a session
// (one sandbox for many scripts, as a build runs them): each block runs in both.
const sessions: SandboxSession[] = [];
afterAll(async () => {
  for (const s of sessions) await s.close();
});
const MODES = [
  { mode: 'a sandbox of its own', session: false },
  { mode: 'a session', session: true },
] as const;

/** Runs `text` as PKG's postinst configure in `root`, in a session when `session` is given. */
async function postinstIn(root: string, pkg: string, text: string, toolsRoot?: string, session?: SandboxSession) {
  await storeScript(root, { name: pkg, arch: 'all' }, 'postinst', text);
  const ident = { package: pkg, arch: 'all', multiArchSame: false, script: 'postinst' as const };
  return runMaintainerScript({
    root,
    ...ident,
    args: ['configure', ''],
    scriptPath: maintainerScriptPath(root, ident),
    sourceDateEpoch: 1_700_000_000,
    toolsRoot,
    session,
  });
}

/** A session for `root` (closed after the tests), or undefined for sandboxes of their own. */
function sessionFor(wanted: boolean, root: string, toolsRoot?: string): SandboxSession | undefined {
  if (!wanted) return undefined;
  const s = new SandboxSession({ writable: [root], toolsRoot });
  sessions.push(s);
  return s;
}

describe.each(MODES)('the host is sacred ($mode)', ({ session: inSession }) => {
  const tag = randomBytes(4).toString('hex');
  const named = ['/etc/crossroot-escape', '/usr/local/escape'];
  // Outside the fingerprinted trees (they change on their own), so checked by name.
  const elsewhere = [`/var/tmp/crossroot-escape-${tag}`, `/root/crossroot-escape-${tag}`, `/var/lib/crossroot-escape-${tag}`];
  const ESCAPE = String.raw`#!/bin/sh
echo ok > "$DPKG_ROOT/ok"
try() { if (eval "$1") 2>/dev/null; then echo "ESCAPED: $1" >&2; fi; }
for f in /etc/crossroot-escape /usr/local/escape /var/lib/dpkg/crossroot-escape ${elsewhere.join(' ')} \
    "$DPKG_ADMINDIR/../../../../../../../../etc/crossroot-escape" /proc/1/root/etc/crossroot-escape; do
  try "echo escaped > $f"
done
try 'touch /etc/passwd'
try 'chown root:root /etc/passwd'
try 'mount -o remount,rw / && touch /etc/crossroot-escape'
try 'mount -o remount,bind,rw /etc && touch /etc/crossroot-escape'
try 'mount -o remount,bind,rw /usr && touch /usr/local/escape'
try 'mount -t tmpfs none /mnt && umount /mnt'
try 'ln -s x /usr/local/escape-link'
try 'mkdir /usr/local/escape-dir'
set -e
touch /etc/crossroot-escape
touch /usr/local/escape
`;

  let before: Map<string, string>;
  let host: string;
  let root: string;
  let err: unknown;

  beforeAll(async () => {
    for (const f of [...named, ...elsewhere]) {
      if (existsSync(f)) throw new Error(`${f} exists before the test: remove it (a previous escape?)`);
    }
    root = await newRoot('sandbox-sacred');
    host = hostname();
    before = hostFingerprint();
    err = await postinstIn(root, 'crossroot-escape-test', ESCAPE, undefined, sessionFor(inSession, root)).catch((e: unknown) => e);
  });

  it('the script fails (INSTALL_SCRIPT_FAILED, naming the script) on a read-only file system', () => {
    expect(err).toBeInstanceOf(MaintainerScriptError);
    const e = err as MaintainerScriptError;
    expect(e.code).toBe('INSTALL_SCRIPT_FAILED');
    expect(e.exitCode).not.toBe(0);
    expect(e.message).toMatch(/^postinst configure of crossroot-escape-test failed \(exit 1\)\n/);
    expect(e.message).toContain("touch: cannot touch '/etc/crossroot-escape': Read-only file system");
    expect(e.message).not.toContain('ESCAPED');
  });

  it('left no file on the host', () => {
    for (const f of [...named, ...elsewhere, '/var/lib/dpkg/crossroot-escape', '/usr/local/escape-link', '/usr/local/escape-dir']) {
      expect({ f, exists: existsSync(f) }).toEqual({ f, exists: false });
    }
  });

  it('changed nothing in /etc, /usr, /var/lib/dpkg, nor the host name', () => {
    expect(fingerprintChanges(before, hostFingerprint())).toEqual([]);
    expect(hostname()).toBe(host);
  });

  it('wrote to the target root', async () => {
    expect(await readFile(join(root, 'ok'), 'utf8')).toBe('ok\n');
  });
});

describe.each(MODES)('what a script sees ($mode)', ({ session: inSession }) => {
  let root: string;
  let session: SandboxSession | undefined;
  beforeAll(async () => {
    root = await newRoot('sandbox-view');
    session = sessionFor(inSession, root);
  });
  const postinst = (root: string, pkg: string, text: string) => postinstIn(root, pkg, text, undefined, session);
  const run = (argv: string[], opts: { writable: string[]; cwd: string; env: Record<string, string>; timeoutMs?: number }) =>
    session !== undefined ? session.run(argv, opts) : runInSandbox(argv, opts);

  it('a private /tmp (and /run): empty of the host\'s files, gone afterwards', async () => {
    const tag = randomBytes(4).toString('hex');
    const hostMarker = `/tmp/crossroot-host-marker-${tag}`;
    await writeFile(hostMarker, 'host\n');
    try {
      const text = String.raw`#!/bin/sh
set -e
test ! -e ${hostMarker}
echo private > /tmp/crossroot-private-${tag}
cat /tmp/crossroot-private-${tag}
stat -c '%a' /tmp
ls -A /run
`;
      const first = await postinst(root, 'tmp-test', text);
      // A session's /run holds its control directory (its named pipes), nothing else.
      expect(first.stdout).toBe(`private\n1777\n${inSession ? 'crossroot\n' : ''}`);
      expect(existsSync(`/tmp/crossroot-private-${tag}`)).toBe(false);
      // A second run starts with a fresh /tmp.
      const second = await postinst(root, 'tmp-test2', `#!/bin/sh\ntest ! -e /tmp/crossroot-private-${tag}\n`);
      expect(second.ran).toBe(true);
    } finally {
      await rm(hostMarker, { force: true });
    }
  });

  it('stdout and stderr are pipes, as under dpkg: /dev/stderr can be opened', async () => {
    const r = await postinst(root, 'stdio-test', '#!/bin/sh\nset -e\necho to-stderr > /dev/stderr\necho to-stdout > /dev/stdout\nstat -L -c %F /proc/self/fd/1 /proc/self/fd/2\nls /proc/self/fd\n');
    expect(r.stderr).toBe('to-stderr\n');
    // fds: 0, 1, 2 and the one ls reads the directory with; no leaked bwrap status fd.
    expect(r.stdout).toBe('to-stdout\nfifo\nfifo\n0\n1\n2\n3\n');
  });

  it('kills a script that outlives its time, and everything it started', async () => {
    const t = performance.now();
    const r = await run(['/bin/sh', '-c', 'sleep 30 & sleep 30'], { writable: [root], cwd: root, env: {}, timeoutMs: 300 });
    expect(r.exitCode).toBe(137);
    expect(performance.now() - t).toBeLessThan(10_000);
  });

  it('its own pid namespace, no network but loopback, and only the allowed capabilities', async () => {
    const r = await postinst(
      root,
      'ns-test',
      String.raw`#!/bin/sh
set -e
head -z -n 1 /proc/1/cmdline | tr -d '\0'; echo
tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '
grep '^CapEff' /proc/self/status | cut -f2
id -u
`,
    );
    const [pid1, ...rest] = r.stdout.trimEnd().split('\n');
    expect(pid1).toMatch(/^(\S*\/)?bwrap$/);
    expect(rest.slice(0, -2)).toEqual(['lo']);
    const capNumbers: Record<string, number> = {
      CAP_CHOWN: 0, CAP_DAC_OVERRIDE: 1, CAP_FOWNER: 3, CAP_FSETID: 4, CAP_KILL: 5, CAP_SETGID: 6,
      CAP_SETUID: 7, CAP_SYS_CHROOT: 18, CAP_AUDIT_WRITE: 29, CAP_SETFCAP: 31,
    };
    const mask = SANDBOX_CAPABILITIES.reduce((m, c) => m | (1n << BigInt(capNumbers[c]!)), 0n);
    expect(BigInt(`0x${rest.at(-2)}`)).toBe(mask);
    expect(rest.at(-1)).toBe('0');
  });

  it('the tree given as toolsRoot as /, read-only, instead of the host', async () => {
    // A tools root of bookworm's own dash, coreutils, dpkg and their libraries, extracted here,
    // with a status naming its dpkg (the scripts are told its version).
    const tools = join(root, '..', 'tools');
    await mkdir(tools);
    for (const [l, t] of [['bin', 'usr/bin'], ['lib', 'usr/lib'], ['lib64', 'usr/lib64'], ['sbin', 'usr/sbin']]) {
      await mkdir(join(tools, t), { recursive: true });
      await symlink(t, join(tools, l));
    }
    const { debs } = await realDebs({ suite: 'bookworm', arch: await hostArch(), variant: 'essential' });
    for (const name of ['libc6', 'dash', 'coreutils', 'libacl1', 'libattr1', 'libgmp10', 'libselinux1', 'libpcre2-8-0', 'dpkg']) {
      const deb = debs.find((d) => d.split('/').pop()!.startsWith(`${name}_`));
      expect(deb, name).toBeDefined();
      const x = spawnSync('sh', ['-c', 'dpkg-deb --fsys-tarfile "$1" | tar -x --keep-directory-symlink -C "$2"', 'sh', deb!, tools]);
      expect(x.status, x.stderr.toString()).toBe(0);
    }
    if (!existsSync(join(tools, 'usr/bin/sh'))) await symlink('dash', join(tools, 'usr/bin/sh'));
    await mkdir(join(tools, 'etc'), { recursive: true });
    await writeFile(join(tools, 'etc/tools-root-marker'), 'tools\n');
    const dpkgDeb = debs.find((d) => d.split('/').pop()!.startsWith('dpkg_'))!;
    const dpkgVersion = spawnSync('dpkg-deb', ['--field', dpkgDeb, 'Version'], { encoding: 'utf8' }).stdout.trim();
    await mkdir(join(tools, 'var/lib/dpkg'), { recursive: true });
    await writeFile(join(tools, 'var/lib/dpkg/status'), `Package: dpkg\nStatus: install ok installed\nVersion: ${dpkgVersion}\n\n`);
    const r = await postinstIn(
      root,
      'tools-test',
      String.raw`#!/bin/sh
cat /etc/tools-root-marker
echo "$DPKG_RUNNING_VERSION"
test -e /etc/debian_version && echo "host visible"
touch /etc/tools-root-write 2>/dev/null && echo "tools root writable"
echo in-target > "$DPKG_ROOT/from-tools-root"
pwd
`,
      tools,
      sessionFor(inSession, root, tools),
    );
    expect(r.stdout).toBe(`tools\n${dpkgVersion}\n${root}\n`);
    expect(await readFile(join(root, 'from-tools-root'), 'utf8')).toBe('in-target\n');
    expect(existsSync(join(tools, 'etc/tools-root-write'))).toBe(false);
  });
});

describe('a host that cannot sandbox', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await realpath(await scratchDir('sandbox-nobwrap'));
    work.push(dir);
  });

  it('bwrap failing to create namespaces: exit 4, with the fix', async () => {
    const fake = join(dir, 'bwrap');
    await writeFile(fake, '#!/bin/sh\necho "bwrap: Creating new namespace failed: Operation not permitted" >&2\nexit 1\n');
    await chmod(fake, 0o755);
    const err = await runInSandbox(['/bin/true'], { writable: [dir], cwd: dir, env: {}, bwrap: fake }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CrossrootError);
    expect((err as CrossrootError).code).toBe('HOST_SANDBOX_UNAVAILABLE');
    expect(exitCodeFor(err)).toBe(4);
    expect((err as Error).message).toContain('Creating new namespace failed: Operation not permitted');
    expect((err as Error).message).toMatch(/fix: .*(docker run --privileged|sysctl -w kernel\.unprivileged_userns_clone=1)/);
  });

  it('bwrap missing: exit 4, "apt-get install bubblewrap"', async () => {
    vi.resetModules();
    const path = process.env.PATH;
    const empty = join(dir, 'empty');
    await mkdir(empty);
    process.env.PATH = empty; // findProgram also looks in the sbin directories, never /usr/bin
    try {
      const fresh = await import('../../src/install/sandbox.js');
      const err = await fresh.runInSandbox(['/bin/true'], { writable: [dir], cwd: dir, env: {} }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'HOST_MISSING_BWRAP' });
      expect((err as Error).message).toContain('apt-get install bubblewrap');
    } finally {
      process.env.PATH = path;
      vi.resetModules();
    }
  });
});

describe('the bwrap command line', () => {
  const args = bwrapArguments(['/r/var/lib/dpkg/info/p.postinst', 'configure', ''], {
    toolsRoot: '/tools',
    toolsEntries: [{ name: 'usr' }, { name: 'bin', symlink: 'usr/bin' }, { name: 'proc' }, { name: 'tmp' }, { name: 'etc' }],
    writable: ['/r'],
    overlays: [{ source: '/patch', target: '/r/var/lib/dpkg/info/p.postinst' }],
    cwd: '/r',
    env: { A: '1' },
  });
  const line = args.join(' ');

  it('binds the tools root read-only entry by entry, and replaces proc, dev, tmp and run', () => {
    expect(line).toContain('--symlink usr/bin /bin --ro-bind /tools/etc /etc --ro-bind /tools/usr /usr --proc /proc --dev /dev');
    expect(line).not.toContain('/tools/proc');
    expect(line).not.toContain('/tools/tmp');
    expect(line).toContain('--perms 1777 --tmpfs /tmp --perms 0755 --tmpfs /run --bind /r /r --ro-bind /patch /r/var/lib/dpkg/info/p.postinst --chdir /r');
  });

  it('drops every capability before adding some back, and unshares all but the mount of the target', () => {
    expect(args.indexOf('--cap-drop')).toBeLessThan(args.indexOf('--cap-add'));
    expect(args[args.indexOf('--cap-drop') + 1]).toBe('ALL');
    for (const u of ['--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-net', '--die-with-parent', '--new-session']) expect(args).toContain(u);
    expect(args).not.toContain('CAP_SYS_ADMIN');
    expect(args).not.toContain('CAP_DAC_READ_SEARCH');
  });

  it('passes exactly the environment given, and the command with its argv[0]', () => {
    expect(line).toContain('--clearenv --setenv A 1 --json-status-fd 3 -- /usr/bin/env -u PWD /r/var/lib/dpkg/info/p.postinst configure ');
    expect(args.at(-1)).toBe('');
  });

  it('refuses a command that env(1) would take for an assignment', () => {
    expect(() => bwrapArguments(['/a=b'], { toolsEntries: [], writable: [], cwd: '/', env: {} })).toThrow(/contains "="/);
  });
});
