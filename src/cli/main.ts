#!/usr/bin/env -S node --max-semi-space-size=4
// crossroot command line — dispatch, help and exit codes; every command is wiring only.
//
// The interpreter line keeps V8's young generation small: unpacking streams hundreds of
// megabytes through short-lived buffers whose memory V8 frees only when it collects, and
// with its default 16 MiB semi-spaces a buildd build peaked at 203 MB resident instead of
// about 170 MB, at the same speed. Every spawn forks this process, at a cost in proportion
// to its size. (`env -S`: coreutils 8.30 and later.)

import { CrossrootError, exitCodeFor } from '../errors.js';
import { interrupted } from '../host/interrupt.js';
import { crossrootVersion } from '../host/version.js';
import { compareCommand } from './commands/compare.js';
import { buildCommand, referenceCommand } from './commands/build.js';
import { downloadCommand } from './commands/download.js';
import { inspectCommand } from './commands/inspect.js';
import { resolveCommand } from './commands/resolve.js';
import { runCommand } from './commands/run.js';
import { summaryCommand } from './commands/summary.js';
import { verifyCommand } from './commands/verify.js';
import type { Command } from './command.js';

const COMMANDS: Record<string, Command> = {
  inspect: inspectCommand,
  compare: compareCommand,
  resolve: resolveCommand,
  download: downloadCommand,
  build: buildCommand,
  reference: referenceCommand,
  verify: verifyCommand,
  run: runCommand,
  summary: summaryCommand,
};

const USAGE = `Usage: crossroot COMMAND [OPTIONS] [ARGS]

Build Debian root filesystems for any architecture without emulation, and prove them
identical to what dpkg builds.

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`)
  .join('\n')}

Run 'crossroot COMMAND --help' for a command's options.

Exit codes: 0 ok; 1 differences found; 2 usage error; 3 bad input (corrupt .deb, bad
signature, unsatisfiable dependency); 4 the host lacks something (the message says how
to fix it).
`;

/** Runs the CLI with `argv` (without node and script); returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    process.stdout.write(`crossroot ${crossrootVersion()}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    process.stderr.write(`crossroot: unknown command '${name}'\n\n${USAGE}`);
    return 2;
  }
  const own = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
  if (command.ownsHelp !== true && (own.includes('--help') || own.includes('-h'))) {
    process.stdout.write(command.help);
    return 0;
  }
  return command.run(rest);
}

function report(err: unknown): number {
  const code = exitCodeFor(err);
  // Interrupted: the work files are being removed under the running command; its errors say nothing.
  if (interrupted()) return code;
  if (err instanceof CrossrootError) {
    process.stderr.write(`crossroot: ${err.message}\n`);
  } else if (err instanceof Error && (err as NodeJS.ErrnoException).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    process.stderr.write(`crossroot: ${err.message}\n`);
    return 2;
  } else {
    // A bug in crossroot, not bad input: still no stack trace unless asked for.
    const detail = process.env.CROSSROOT_DEBUG ? (err as Error).stack : (err as Error).message;
    process.stderr.write(`crossroot: internal error: ${detail}\n(set CROSSROOT_DEBUG=1 for details)\n`);
  }
  return code;
}

let finished = false;
// Node exits when nothing is left to wait for, even with the command's promise pending (a
// bug: some wait not backed by a handle). That must not look like success. (An interrupt
// exits on purpose, with 128 + the signal's number: host/interrupt.ts.)
process.on('exit', (code) => {
  if (finished || code !== 0) return;
  process.stderr.write('crossroot: internal error: the command stopped before it finished\n');
  process.exitCode = 70;
});
main(process.argv.slice(2)).then(
  (code) => {
    finished = true;
    process.exitCode = code;
  },
  (err: unknown) => {
    finished = true;
    process.exitCode = report(err);
  },
);
