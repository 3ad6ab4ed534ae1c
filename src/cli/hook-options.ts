// The hook options of build and reference, mmdebstrap's: --setup-hook, --extract-hook,
// --essential-hook, --customize-hook, --hook-dir (--hook-directory), in command-line order.

import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { HookArgument, HookStage } from '../install/hooks/hook-list.js';
import { HOOK_STAGES } from '../install/hooks/hook-list.js';

export const HOOK_OPTIONS = {
  'setup-hook': { type: 'string', multiple: true },
  'extract-hook': { type: 'string', multiple: true },
  'essential-hook': { type: 'string', multiple: true },
  'customize-hook': { type: 'string', multiple: true },
  'hook-dir': { type: 'string', multiple: true },
  'hook-directory': { type: 'string', multiple: true },
  'hooks-outside-sandbox': { type: 'boolean' },
} as const;

export const HOOK_HELP = `  --setup-hook CMD     run CMD after the skeleton is made, before anything is unpacked
  --extract-hook CMD   run CMD after the essential set is unpacked, before it is installed
  --essential-hook CMD run CMD after the essential set is installed (and merged-/usr's apt run)
  --customize-hook CMD run CMD after every package is installed, before cleanup
                       As mmdebstrap's: an executable, or a command without shell
                       metacharacters, runs with the root as $1; anything else through
                       sh -c CMD exec ROOT; "copy-in", "copy-out", "sync-in", "sync-out",
                       "tar-in", "tar-out", "upload", "download" are mmdebstrap's special
                       hooks. A hook gets MMDEBSTRAP_MODE, _HOOK, _VERBOSITY, _INCLUDE
                       (_ESSENTIAL for extract hooks) and CROSSROOT_SUITE, _ARCH, _VARIANT.
                       Hooks run in the sandbox: the host is read-only (its /tmp and /run
                       are private), the root writable. A failing hook stops the build (exit 3)
  --hook-dir DIR       the executable files of DIR named setup*, extract*, essential*,
                       customize*, as hooks of that kind, sorted by name. mmdebstrap's own:
                       merged-usr and maybe-merged-usr are built in; no-merged-usr,
                       eatmydata, busybox, file-mirror-automount, jessie-or-older and
                       maybe-jessie-or-older are refused with the reason
  --hooks-outside-sandbox
                       WARNING: run hooks on the host itself, as mmdebstrap does: a hook can
                       then write anywhere you can. Says so for every build
`;

/** The hook options of `args`, in the order given. */
export function hookArguments(args: string[], options: NonNullable<ParseArgsConfig['options']>): HookArgument[] {
  const { tokens } = parseArgs({ args, options, allowPositionals: true, strict: true, tokens: true });
  const out: HookArgument[] = [];
  for (const t of tokens ?? []) {
    if (t.kind !== 'option' || t.value === undefined) continue;
    if (t.name === 'hook-dir' || t.name === 'hook-directory') out.push({ directory: t.value });
    const stage = HOOK_STAGES.find((s) => t.name === `${s}-hook`);
    if (stage !== undefined) out.push({ stage: stage as HookStage, command: t.value });
  }
  return out;
}
