// `crossroot run [OPTIONS] ROOT [--] [COMMAND [ARGS...]]` — wiring only.

import { runInBuiltRoot } from '../../pipeline/run.js';
import { CrossrootError } from '../../errors.js';
import type { Command } from '../command.js';

const HELP = `Usage: crossroot run [OPTIONS] ROOT [--] [COMMAND [ARGS...]]

Run COMMAND (default: /bin/sh) inside a built root, as its root user, on this terminal:
ROOT as /, fresh /proc and /dev, read-only /sys, its own PID, IPC and host name
namespaces, no network unless asked, and qemu-user (binfmt_misc) for a foreign
architecture (the root's var/lib/dpkg/arch). The environment is PATH, HOME=/root, TERM
and PWD=/, plus --env. Exits with COMMAND's exit status.

ROOT is a directory, changed in place unless --overlay is given, or a tarball (.tar,
.tar.gz, .tar.xz, .tar.zst as 'crossroot build' writes them), extracted into a
throwaway directory under TMPDIR and never changed. Needs root.

Options:
  --overlay            changes go to a throwaway overlay; ROOT stays as it is
  --network            share the host's network (and lend its /etc/resolv.conf where
                       that does not change ROOT)
  --bind HOST:PATH     mount the host's HOST at PATH in the root, read-write; repeatable
                       (a missing PATH is created in the root)
  --env NAME=VALUE     set a variable for COMMAND; repeatable

Examples:
  crossroot run arm64.tar -- dpkg --print-architecture
  crossroot run --overlay --bind "$PWD:/src" ./root -- sh -c 'cd /src && make check'
`;

/** Splits the arguments: options up to ROOT, then ROOT, then the command (after an optional `--`). */
function parseRunArgs(args: string[]): { options: Map<string, string[]>; root: string; argv: string[] } | 'help' {
  const options = new Map<string, string[]>();
  const add = (name: string, value: string) => options.set(name, [...(options.get(name) ?? []), value]);
  let i = 0;
  for (; i < args.length && args[i]!.startsWith('-') && args[i] !== '--'; i++) {
    const arg = args[i]!;
    const [name, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (name === '--help' || name === '-h') return 'help';
    if (name === '--overlay' || name === '--network') add(name, 'yes');
    else if (name === '--bind' || name === '--env') {
      const value = inline ?? args[++i];
      if (value === undefined) throw new CrossrootError('USAGE_ARGS', `${name} needs a value`);
      add(name, value);
    } else throw new CrossrootError('USAGE_ARGS', `unknown option '${arg}' (see crossroot run --help)`);
  }
  if (args[i] === '--') i++;
  const root = args[i];
  if (root === undefined) throw new CrossrootError('USAGE_ARGS', 'run needs ROOT (see --help)');
  const rest = args.slice(i + 1);
  const argv = rest[0] === '--' ? rest.slice(1) : rest;
  return { options, root, argv: argv.length > 0 ? argv : ['/bin/sh'] };
}

function pair(value: string, option: string, separator: string): [string, string] {
  const at = value.indexOf(separator);
  if (at <= 0) throw new CrossrootError('USAGE_ARGS', `${option} ${value}: expected ${option === '--bind' ? 'HOST:PATH' : 'NAME=VALUE'}`);
  return [value.slice(0, at), value.slice(at + 1)];
}

export const runCommand: Command = {
  summary: 'run a command inside a built root (directory or tarball), qemu-user where needed',
  help: HELP,
  ownsHelp: true,
  async run(args) {
    const parsed = parseRunArgs(args);
    if (parsed === 'help') {
      process.stdout.write(HELP);
      return 0;
    }
    const { options, root, argv } = parsed;
    return runInBuiltRoot({
      root,
      argv,
      overlay: options.has('--overlay'),
      network: options.has('--network'),
      binds: (options.get('--bind') ?? []).map((b) => pair(b, '--bind', ':')),
      env: Object.fromEntries((options.get('--env') ?? []).map((e) => pair(e, '--env', '='))),
      warn: (m) => process.stderr.write(`crossroot: ${m}\n`),
    });
  },
};
