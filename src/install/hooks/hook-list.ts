// The hooks of a build — mmdebstrap 1.3.5's --setup-hook, --extract-hook, --essential-hook,
// --customize-hook and --hook-directory (4547-4610), in the order given on the command line.

import { accessSync, constants, readdirSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CrossrootError } from '../../errors.js';

/** When a hook runs (mmdebstrap's man page, section HOOKS). */
export type HookStage = 'setup' | 'extract' | 'essential' | 'customize';

export const HOOK_STAGES: readonly HookStage[] = ['setup', 'extract', 'essential', 'customize'];

/** One hook: a shell command, an executable, or a special hook (`copy-in ...`). */
export interface Hook {
  stage: HookStage;
  command: string;
  /** How the user gave it, for messages: `--customize-hook`, or the hook directory's file. */
  origin: string;
}

/**
 * The hook directories mmdebstrap 1.3.5 ships, and what crossroot does with each. `builtin`:
 * crossroot's build already does what the directory does (the output is the same as
 * mmdebstrap's with it, see test/install/hooks.test.ts); otherwise the reason it is refused.
 */
export const SHIPPED_HOOK_DIRECTORIES: Readonly<Record<string, { builtin: true } | { refused: string }>> = {
  'merged-usr': { builtin: true },
  'maybe-merged-usr': { builtin: true },
  'no-merged-usr': { refused: 'crossroot builds the layout the suite\'s own mmdebstrap builds (merged /usr); a split /usr is not offered' },
  eatmydata: { refused: 'it wraps the chroot\'s own dpkg through mmdebstrap\'s apt configuration (MMDEBSTRAP_APT_CONFIG); crossroot\'s installer does not sync per file, there is nothing to speed up' },
  busybox: { refused: 'it is for mmdebstrap\'s custom/extract variants (busybox --install run inside the root), which crossroot does not have' },
  'file-mirror-automount': { refused: 'it needs mmdebstrap\'s apt configuration and --hook-helper; crossroot reads file:// mirrors itself and never needs them inside the root' },
  'jessie-or-older': { refused: 'jessie and older are not suites crossroot builds (it runs the chroot\'s dpkg by hand)' },
  'maybe-jessie-or-older': { refused: 'jessie and older are not suites crossroot builds (it asks apt through MMDEBSTRAP_APT_CONFIG)' },
};

/** Where mmdebstrap keeps its hook directories. */
export const MMDEBSTRAP_HOOKS = '/usr/share/mmdebstrap/hooks';

/** A hook option as given: `--customize-hook CMD` or `--hook-dir DIR`, in command-line order. */
export type HookArgument = { stage: HookStage; command: string } | { directory: string };

/**
 * The hooks of `args`, in order: each --STAGE-hook as given; each --hook-dir's executable
 * files named `setup*`, `extract*`, `essential*`, `customize*`, sorted by name within a stage
 * (mmdebstrap sorts them, 4611-4620). A directory shipped with mmdebstrap is recognised by its
 * real path: built in (nothing to run) or refused with the reason (USAGE_HOOK_DIRECTORY).
 * `warn` hears of files named like a hook but not executable, as mmdebstrap warns.
 *
 * @example
 * hookList([{ stage: 'customize', command: 'echo hi > "$1/etc/motd"' }], console.warn);
 */
export function hookList(args: readonly HookArgument[], warn: (m: string) => void): Hook[] {
  const hooks: Hook[] = [];
  for (const a of args) {
    if ('stage' in a) {
      hooks.push({ stage: a.stage, command: a.command, origin: `--${a.stage}-hook` });
      continue;
    }
    let real: string;
    try {
      real = realpathSync(a.directory);
    } catch {
      throw new CrossrootError('USAGE_HOOK_DIRECTORY', `hook directory "${a.directory}" does not exist`, { path: a.directory });
    }
    if (!statSync(real).isDirectory()) throw new CrossrootError('USAGE_HOOK_DIRECTORY', `hook directory "${a.directory}" is not a directory`, { path: a.directory });
    const shipped = real.startsWith(`${MMDEBSTRAP_HOOKS}/`) ? SHIPPED_HOOK_DIRECTORIES[real.slice(MMDEBSTRAP_HOOKS.length + 1)] : undefined;
    if (shipped !== undefined) {
      if ('refused' in shipped) throw new CrossrootError('USAGE_HOOK_DIRECTORY', `${real} is not supported: ${shipped.refused}`, { path: a.directory });
      warn(`${real}: built in (crossroot's build already does what it does)`);
      continue;
    }
    const byStage = new Map<HookStage, string[]>();
    for (const entry of readdirSync(real).sort()) {
      const stage = HOOK_STAGES.find((s) => entry.startsWith(s));
      const path = join(real, entry);
      let executable = true;
      try {
        accessSync(path, constants.X_OK);
      } catch {
        executable = false;
      }
      if (stage === undefined) {
        if (executable && !statSync(path).isDirectory()) warn(`${path}: is executable but not prefixed with a hook name`);
        continue;
      }
      if (!executable) {
        warn(`${path} is named like a hook but not executable`);
        continue;
      }
      byStage.set(stage, [...(byStage.get(stage) ?? []), path]);
    }
    for (const stage of HOOK_STAGES) {
      for (const path of byStage.get(stage) ?? []) hooks.push({ stage, command: path, origin: path });
    }
  }
  return hooks;
}
