// Host programs — finding executables on PATH once, without a shell.

import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

const found = new Map<string, string | undefined>();

/** The absolute path of `name` on PATH (plus sbin directories), or undefined. */
export function findProgram(name: string): string | undefined {
  if (found.has(name)) return found.get(name);
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  let hit: string | undefined;
  for (const d of dirs) {
    if (d === '') continue;
    try {
      accessSync(join(d, name), constants.X_OK);
      hit = join(d, name);
      break;
    } catch {
      // not here
    }
  }
  found.set(name, hit);
  return hit;
}
