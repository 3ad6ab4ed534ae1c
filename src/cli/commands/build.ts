// `crossroot build SUITE TARGET [MIRROR...]` — a chrootless build, written as a tarball or a directory.

import { readFile } from 'node:fs/promises';
import { CrossrootError } from '../../errors.js';
import { parseLock, type Lock } from '../../resolve/lockfile.js';
import { buildRoot, type Installer } from '../../pipeline/build.js';
import { parseCommandArgs, type Command } from '../command.js';
import { FORMAT_NAMES } from '../../output/format.js';
import { hookList } from '../../install/hooks/hook-list.js';
import { HOOK_HELP, HOOK_OPTIONS, hookArguments } from '../hook-options.js';
import { TARBALL_SUFFIXES } from '../../output/compressor.js';
import { ARCHIVE_HELP, ARCHIVE_OPTIONS, MIRROR_HELP, jobsOption, resolveOptions, toolsRootOption } from '../options.js';
import { downloadProgress } from '../progress.js';

const FORMAT_HELP = `  --format NAME        ${FORMAT_NAMES.join(' | ')} (default: auto, from TARGET)
`;

const HELP = `Usage: crossroot build [OPTIONS] SUITE TARGET [MIRROR...]

Build a root file system for SUITE without running any binary of the target architecture:
packages are unpacked by crossroot and their maintainer scripts run on the host with
DPKG_ROOT set, inside a bwrap sandbox where everything but the new root is read-only.

The output format is chosen as mmdebstrap chooses it (--format auto): /dev/null writes
nothing; an existing directory, or a name with no known suffix, is a directory (it must not
exist, or be empty); ${TARBALL_SUFFIXES.join(', ')} (and .gz, .xz, .zst) is a tarball (written like
mmdebstrap's: sorted, pax, numeric owners, mtimes clamped to SOURCE_DATE_EPOCH, /dev entries
synthesised). TARGET appears only when the build is complete.

Options:
${ARCHIVE_HELP}${FORMAT_HELP}${HOOK_HELP}  --lock FILE          install exactly the packages of FILE (from 'crossroot resolve --lock'):
                       --arch, --variant and --include default to the lock's and must match
                       it; every locked file must be in the mirror's index with its SHA256
  --installer native|dpkg
                       native (default): crossroot's own installer; dpkg: the host's
                       dpkg --force-script-chrootless for the same steps (a cross-check)
${MIRROR_HELP}
Environment: SOURCE_DATE_EPOCH (default: the current time, as mmdebstrap) fixes
every mtime newer than it and the dates scripts write.
`;

const REFERENCE_HELP = `Usage: crossroot reference [OPTIONS] SUITE TARGET [MIRROR...]

Build the same root the normal way: the same skeleton, pre-extraction, cleanup and writer as
'crossroot build', but the packages installed by the root's own dpkg running inside it
(through qemu-user and binfmt_misc for a foreign architecture), as mmdebstrap --mode=root
does. This is the reference a chrootless build is compared with.

Options:
${ARCHIVE_HELP}${FORMAT_HELP}${HOOK_HELP}${MIRROR_HELP}`;

/** build and reference share everything but the installer. */
function buildLike(name: 'build' | 'reference'): Command['run'] {
  return async (args) => {
    const extra: Record<string, { type: 'string' }> = name === 'build' ? { installer: { type: 'string' }, lock: { type: 'string' } } : {};
    const options = { ...ARCHIVE_OPTIONS, ...HOOK_OPTIONS, format: { type: 'string' }, ...extra } as const;
    const { values, positionals } = parseCommandArgs(args, options);
    const warn = (m: string) => process.stderr.write(`crossroot: ${m}\n`);
    const hooks = hookList(hookArguments(args, options), warn);
    const outsideSandbox = values['hooks-outside-sandbox'] === true;
    if (outsideSandbox) warn('WARNING: --hooks-outside-sandbox: hooks run on this host with your rights, not in the sandbox; a hook can change anything here');
    const [suite, target, ...mirrors] = positionals;
    if (suite === undefined || target === undefined) throw new CrossrootError('USAGE_ARGS', `${name} needs SUITE and TARGET (see --help)`);
    const installer = name === 'reference' ? 'chroot' : (((values as Record<string, unknown>).installer as string | undefined) ?? 'native');
    if (installer !== 'native' && installer !== 'dpkg' && installer !== 'chroot') throw new CrossrootError('USAGE_INSTALLER', `--installer is native or dpkg, not ${installer}`);
    const sde = process.env.SOURCE_DATE_EPOCH;
    if (sde !== undefined && !/^[0-9]+$/.test(sde)) throw new CrossrootError('USAGE_SOURCE_DATE_EPOCH', `SOURCE_DATE_EPOCH must be a number of seconds, not ${sde}`);
    const lockFile = (values as Record<string, unknown>).lock as string | undefined;
    let lock: Lock | undefined;
    if (lockFile !== undefined) {
      const text = await readFile(lockFile, 'utf8').catch(() => {
        throw new CrossrootError('USAGE_ARGS', 'cannot read the lockfile', { file: lockFile });
      });
      lock = parseLock(text, lockFile);
    }
    // With a lock, what it was resolved for is the default.
    const v = values as Record<string, unknown>;
    const fromLock =
      lock === undefined
        ? {}
        : {
            arch: (v.arch as string | undefined) ?? lock.architectures[0],
            variant: (v.variant as string | undefined) ?? lock.variant,
            include: (v.include as string[] | undefined) ?? (lock.include.length > 0 ? [lock.include.join(',')] : undefined),
          };
    const opts = { ...resolveOptions({ ...values, ...fromLock }, [suite, ...mirrors], (m) => process.stderr.write(`crossroot: ${m}\n`)), lock, lockFile };
    await buildRoot({
      ...opts,
      target,
      format: (values as Record<string, unknown>).format as string | undefined,
      hooks,
      hooksOutsideSandbox: outsideSandbox,
      hookOutput: (c) => process.stderr.write(c),
      installer: installer as Installer,
      // Without SOURCE_DATE_EPOCH, mmdebstrap uses the current time; so does crossroot (cli/ may read the clock).
      sourceDateEpoch: sde !== undefined ? Number(sde) : Math.floor(Date.now() / 1000),
      jobs: jobsOption(values),
      toolsRoot: toolsRootOption(values),
      progress: downloadProgress(),
      // Seconds since the process started (node's start-up included).
      log: (line) => process.stderr.write(`crossroot: [${(performance.now() / 1000).toFixed(2)}s] ${line}\n`),
    });
    return 0;
  };
}

export const buildCommand: Command = {
  summary: 'build a root chrootless into a tarball or directory',
  help: HELP,
  run: buildLike('build'),
};

export const referenceCommand: Command = {
  summary: 'build the same root with real dpkg inside it (qemu-user for foreign arches)',
  help: REFERENCE_HELP,
  run: buildLike('reference'),
};
