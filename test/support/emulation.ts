// qemu-user through binfmt_misc is one switch for the whole machine, and test files run in
// parallel: a test that turns emulation off for an architecture must not do it while another
// runs a foreign binary. Every test that needs emulation holds a shared lock for as long as it
// does; switching it off takes the lock exclusively. The lock is `flock(1)` on one file, held
// by a child process that lets go when its stdin closes (so also when the test process dies).
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { hostArchitecture } from '../../src/host/arch.js';
import { ARCHITECTURES } from '../../src/host/architectures.js';

const LOCK_FILE = '/var/tmp/crossroot-tests-binfmt.lock';


function hold(mode: '--shared' | '--exclusive'): Promise<() => Promise<void>> {
  return new Promise((resolve, reject) => {
    const child = spawn('flock', [mode, LOCK_FILE, '-c', 'echo held; exec cat >/dev/null'], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`flock ${mode} ${LOCK_FILE} ended (exit ${code}) before it held the lock`)));
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (!out.startsWith('held')) return;
      child.removeAllListeners('exit');
      resolve(() => new Promise((done) => {
        child.on('exit', () => done());
        child.stdin.end();
      }));
    });
  });
}

/** Runs `fn` while no other test may switch emulation off (a no-op guard for the host's own arch). */
export async function withEmulation<T>(arch: string, fn: () => Promise<T>): Promise<T> {
  if (arch === hostArchitecture()) return fn();
  const release = await hold('--shared');
  try {
    return await fn();
  } finally {
    await release();
  }
}

/**
 * Runs `fn` with binfmt_misc's entry for `arch` switched off (so no binary of `arch` can run
 * on this machine), once no other test uses emulation; switches it back on afterwards.
 */
export async function withoutEmulation<T>(arch: string, fn: () => Promise<T>): Promise<T> {
  // qemu-user-static's binfmt_misc entry, named after qemu's name for the architecture.
  const qemu = ARCHITECTURES.get(arch)?.qemu;
  const entry = qemu === undefined ? undefined : `/proc/sys/fs/binfmt_misc/qemu-${qemu}`;
  if (entry === undefined) throw new Error(`no binfmt_misc entry known for ${arch}`);
  const release = await hold('--exclusive');
  const before = await readFile(entry, 'utf8').catch(() => undefined);
  try {
    if (before?.startsWith('enabled')) await writeFile(entry, '0');
    return await fn();
  } finally {
    if (before?.startsWith('enabled')) await writeFile(entry, '1');
    await release();
  }
}
