// Interrupted runs lose nothing and leave nothing: on SIGINT, SIGTERM or SIGHUP the work
// directories and temporary outputs registered here are removed before crossroot exits with
// 128 + the signal's number, as mmdebstrap cleans up its temporary root. While a command runs
// on the terminal (`crossroot run`), the signals are the command's: SIGINT reaches it from
// the terminal anyway, SIGTERM and SIGHUP are passed on, and its end does the clean-up.

import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { constants } from 'node:os';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const paths = new Map<number, string>();
let serial = 0;
let foreground: ChildProcess | undefined;
let installed = false;

// File system calls already handed to libuv's threads may still land after a first sweep
// (an open(2) creating the temporary tarball, measured in CI): sweep again after this long.
const SETTLE_MS = 50;
let stopping = false;

function sweep(): void {
  // Newest first: a temporary output before the root it was made from.
  for (const path of [...paths.values()].reverse()) {
    try {
      rmSync(path, { recursive: true, force: true, maxRetries: 3 });
    } catch (err) {
      process.stderr.write(`crossroot: could not remove ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}\n`);
    }
  }
}

function onSignal(signal: (typeof SIGNALS)[number]): void {
  if (foreground !== undefined) {
    if (signal !== 'SIGINT') foreground.kill(signal);
    return;
  }
  if (stopping) return;
  stopping = true;
  if (paths.size > 0) process.stderr.write(`crossroot: ${signal}: removing the work files, then stopping\n`);
  sweep();
  setTimeout(() => {
    sweep();
    process.exit(128 + constants.signals[signal]);
  }, SETTLE_MS);
}

/** True once a signal has started the clean-up: what fails after it is only its consequence. */
export function interrupted(): boolean {
  return stopping;
}

function install(): void {
  if (installed) return;
  installed = true;
  for (const signal of SIGNALS) process.on(signal, () => onSignal(signal));
}

/**
 * Removes `path` (recursively) if crossroot is interrupted before the returned function is
 * called; call it once the path is gone or has become the output.
 *
 * @example
 * const dir = await mkdtemp(join(tmpdir(), 'crossroot-root-'));
 * const forget = removeOnInterrupt(dir);
 * try { ... } finally { await rm(dir, { recursive: true, force: true }); forget(); }
 */
export function removeOnInterrupt(path: string): () => void {
  install();
  const id = ++serial;
  paths.set(id, path);
  return () => void paths.delete(id);
}

/** Gives the signals to `child`, running on the terminal, until the returned function is called. */
export function foregroundChild(child: ChildProcess): () => void {
  install();
  foreground = child;
  return () => {
    if (foreground === child) foreground = undefined;
  };
}
