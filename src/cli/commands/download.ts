// `crossroot download --lock FILE [MIRROR...]` — fetch exactly the locked files into the cache.

import { readFile } from 'node:fs/promises';
import { CrossrootError } from '../../errors.js';
import { sourceEntries } from '../../pipeline/resolve.js';
import { Cache, defaultCacheDir } from '../../repository/cache.js';
import { downloadAll } from '../../repository/download.js';
import { parseLock } from '../../resolve/lockfile.js';
import { parseCommandArgs, type Command } from '../command.js';
import { FETCH_HELP, FETCH_OPTIONS, fetchPolicy, jobsOption } from '../options.js';
import { downloadProgress } from '../progress.js';

const HELP = `Usage: crossroot download --lock FILE [OPTIONS] [MIRROR...]

Make every package of a lockfile present in the cache, each checked against the lock's size
and SHA256. Files already cached are not fetched again. Without MIRROR, the host's apt sources
for the lock's suite are tried.

Options:
  --lock FILE       the lockfile (from 'crossroot resolve --lock')
  --cache-dir DIR   download cache (default: $XDG_CACHE_HOME/crossroot)
  --jobs N          parallel downloads (default: 4)
${FETCH_HELP}`;

export const downloadCommand: Command = {
  summary: 'download the packages of a lockfile into the verified cache',
  help: HELP,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, {
      lock: { type: 'string' },
      'cache-dir': { type: 'string' },
      jobs: { type: 'string' },
      ...FETCH_OPTIONS,
    });
    if (values.lock === undefined) throw new CrossrootError('USAGE_ARGS', 'download needs --lock FILE');
    const file = values.lock as string;
    const text = await readFile(file, 'utf8').catch(() => {
      throw new CrossrootError('USAGE_ARGS', 'cannot read the lockfile', { file });
    });
    const lock = parseLock(text, file);
    const sources = await sourceEntries({ suite: lock.suite, mirrors: positionals, components: undefined });
    const origins = [...new Set(sources.map((s) => s.uri))];
    const cache = new Cache((values['cache-dir'] as string | undefined) ?? defaultCacheDir());
    const paths = await downloadAll(lock.packages.map((p) => ({ ...p, origins })), cache, {
      jobs: jobsOption(values),
      progress: downloadProgress(),
      fetch: fetchPolicy(values, (m) => process.stderr.write(`crossroot: ${m}\n`)),
    });
    for (const [i, p] of lock.packages.entries()) process.stdout.write(`${p.package} ${p.version} ${p.architecture} ${paths[i]}\n`);
    return 0;
  },
};
