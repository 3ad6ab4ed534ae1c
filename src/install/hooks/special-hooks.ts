// Special hooks — copy-in, copy-out, sync-in, sync-out, tar-in, tar-out, upload, download, as
// mmdebstrap 1.3.5's `hookhelper` (3339-3637) and `hooklistener` (3639-3960) run them, with
// the same tar options. mmdebstrap passes the bytes over a socket between a helper at the root
// and a listener on the host; crossroot stages them in a private directory instead: what
// touches the root runs in the sandbox, what touches the host runs on it.

import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { CrossrootError } from '../../errors.js';
import type { Hook } from './hook-list.js';
import { chrootedRealpath } from './chrooted-realpath.js';
import type { HookContext } from './run-hooks.js';
import { runAsHook } from './run-hooks.js';
import { shellWords } from './shell-words.js';

const INWARD = ['copy-in', 'tar-in', 'upload', 'sync-in'] as const;
const OUTWARD = ['copy-out', 'tar-out', 'download', 'sync-out'] as const;

/** mmdebstrap's `@tarcmd` (3348-3352). */
const TAR = ['tar', '--numeric-owner', '--xattrs', '--format=pax', '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime'];

/** Whether `command` is a special hook (its first word, followed by a blank: 1712-1719). */
export function isSpecialHook(command: string): boolean {
  return /^(copy-in|copy-out|tar-in|tar-out|upload|download|sync-in|sync-out) /.test(command);
}

/** A host program (tar) run by crossroot itself, for the host side of a special hook. */
function onHost(argv: readonly string[], env: Record<string, string>): Promise<{ exitCode: number; stderr: string }> {
  return new Promise((res, rej) => {
    const child = spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-8192)));
    child.on('error', rej);
    child.on('close', (code) => res({ exitCode: code ?? 1, stderr }));
  });
}

/**
 * Runs one special hook. Inward: the host side makes the tarball (copy-in, sync-in) or names
 * the file (tar-in, upload); tar (or cat) in the sandbox writes it under the root. Outward: tar
 * (or cat) in the sandbox reads the root into the staging directory; the host side unpacks it
 * at the destination (copy-out, sync-out) or copies the file there (tar-out, download).
 * Failures are INSTALL_HOOK_FAILED errors naming the hook.
 */
export async function runSpecialHook(hook: Hook, env: Record<string, string>, ctx: HookContext): Promise<void> {
  const what = `${hook.origin} ${JSON.stringify(hook.command)}`;
  const fail = (why: string) => new CrossrootError('INSTALL_HOOK_FAILED', `${what} failed: ${why}`);
  const [command, ...args] = shellWords(hook.command) as [string, ...string[]];
  if (args.length < 2) {
    throw fail(
      (INWARD as readonly string[]).includes(command)
        ? `${command} needs at least one path on the outside and the output path inside the chroot`
        : `${command} needs at least one path inside the chroot and the output path on the outside`,
    );
  }
  const outpath = args.pop()!;
  const stage = await mkdtemp(join(ctx.scratch, 'hook-'));
  const check = async (r: Promise<{ exitCode: number; stderr: string }>, doing: string) => {
    const { exitCode, stderr } = await r;
    if (exitCode !== 0) throw fail(`${doing} (exit ${exitCode})${stderr.trim() === '' ? '' : `: ${stderr.trim().split('\n').slice(-3).join(' / ')}`}`);
  };
  try {
    for (const [i, file] of args.entries()) {
      if ((INWARD as readonly string[]).includes(command)) {
        const directory = chrootedRealpath(ctx.root, outpath);
        const dirToCheck = command === 'upload' ? directory.replace(/(.*)\/[^/]*/, '$1') : directory;
        if (!existsSync(dirToCheck)) throw fail(`path does not exist: ${dirToCheck}`);
        if (!statSync(dirToCheck).isDirectory()) throw fail(`path is not a directory: ${dirToCheck}`);
        const host = resolve(file);
        if (!existsSync(host)) throw fail(`${file} does not exist`);
        // Staged on the host side: the sandbox's /tmp is its own, the host file may be there.
        const staged = join(stage, `in-${i}`);
        if (command === 'upload' || command === 'tar-in') {
          await copyFile(host, staged);
        } else {
          const from = command === 'copy-in' ? ['--directory', dirname(host), '--create', '--file', staged, basename(host)] : ['--directory', host, '--create', '--file', staged, '.'];
          await check(onHost([...TAR, ...from], env), `tar of ${file}`);
        }
        if (command === 'upload') {
          await check(runAsHook(['sh', '-c', 'cat "$2" > "$1"', 'exec', directory, staged], env, ctx, { readOnly: [stage] }), `writing ${outpath}`);
        } else {
          await check(runAsHook([...TAR, '--xattrs-include=*', '--directory', directory, '--extract', '--file', staged], env, ctx, { readOnly: [stage] }), `unpacking into ${outpath}`);
        }
      } else if ((OUTWARD as readonly string[]).includes(command)) {
        const source = chrootedRealpath(ctx.root, file);
        if (!existsSync(source)) throw fail(`path does not exist: ${source}`);
        if (command === 'download' && !statSync(source).isFile()) throw fail(`path is not a file: ${source}`);
        const staged = join(stage, `out-${i}`);
        if (command === 'download') {
          await check(runAsHook(['sh', '-c', 'cat "$1" > "$2"', 'exec', source, staged], env, ctx, { writable: [stage] }), `reading ${file}`);
        } else {
          const from = command === 'sync-out' ? ['--directory', source, '--create', '--file', staged, '.'] : ['--directory', dirname(source), '--create', '--file', staged, basename(source)];
          await check(runAsHook([...TAR, ...from], env, ctx, { writable: [stage] }), `tar of ${file}`);
        }
        // The destination on the host, as mmdebstrap's listener makes it (make_path).
        const dir = command === 'copy-out' || command === 'sync-out' ? outpath : dirname(resolve(outpath));
        if (existsSync(dir) && !statSync(dir).isDirectory()) throw fail(`${dir} already exists but is not a directory`);
        await mkdir(dir, { recursive: true });
        if (command === 'copy-out' || command === 'sync-out') {
          await check(onHost(['tar', '--numeric-owner', '--xattrs', '--xattrs-include=*', '--directory', outpath, '--extract', '--file', staged], env), `unpacking into ${outpath}`);
        } else {
          await copyFile(staged, outpath);
        }
      } else {
        throw fail(`unknown command: ${command}`);
      }
    }
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}
