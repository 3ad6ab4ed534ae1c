// CLI command shape — each verb is parsing and wiring only.

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CrossrootError } from '../errors.js';

export interface Command {
  summary: string;
  help: string;
  /** The command reads --help itself (its arguments carry another program's options). */
  ownsHelp?: boolean;
  run(args: string[]): Promise<number>;
}

/** parseArgs with usage errors as CrossrootError (exit 2). */
export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(
  args: string[],
  options: T,
): { values: Record<string, string | boolean | string[] | boolean[] | undefined>; positionals: string[] } {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new CrossrootError('USAGE_ARGS', (err as Error).message.split('\n')[0]!);
  }
}
