// `crossroot resolve SUITE [MIRROR...]` — the package set, its install order, --why and --lock.

import { CrossrootError } from '../../errors.js';
import { writeFileAtomic } from '../../host/atomic.js';
import { resolveSuite } from '../../pipeline/resolve.js';
import { downloadAll } from '../../repository/download.js';
import { chainTo } from '../../resolve/closure.js';
import { formatLock } from '../../resolve/lockfile.js';
import { parseCommandArgs, type Command } from '../command.js';
import { ARCHIVE_HELP, ARCHIVE_OPTIONS, MIRROR_HELP, jobsOption, resolveOptions } from '../options.js';
import { downloadProgress } from '../progress.js';

const HELP = `Usage: crossroot resolve [OPTIONS] SUITE [MIRROR...]

Resolve the package set of a variant from a real archive (Release signatures checked with
gpgv, indices checked against the Release's SHA256), and print it in install order.

Options:
${ARCHIVE_HELP}  --why PKG            print the chain of relations that pulled PKG in
  --lock FILE          write a lockfile (deb822: suite, architectures, variant, includes,
                       Release date, then Package/Version/Architecture/Filename/Size/SHA256
                       per package in install order; no mirror is named)
  --download           also download every package into the cache (verified)
${MIRROR_HELP}`;

export const resolveCommand: Command = {
  summary: 'resolve a variant into a package set and install order (--why, --lock)',
  help: HELP,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, {
      ...ARCHIVE_OPTIONS,
      why: { type: 'string', multiple: true },
      lock: { type: 'string' },
      download: { type: 'boolean' },
    });
    const opts = resolveOptions(values, positionals, (m) => process.stderr.write(`crossroot: ${m}\n`));
    const r = await resolveSuite(opts);
    const whys = (values.why as string[] | undefined) ?? [];
    for (const name of whys) {
      if (!r.resolution.packages.has(name)) throw new CrossrootError('RESOLVE_NOT_IN_SET', `${name} is not in the resolved set`, { package: name });
    }
    if (whys.length > 0) {
      for (const name of whys) process.stdout.write(`${name}: ${chainTo(r.resolution.why, name).join(' -> ')}\n`);
    } else {
      process.stdout.write(`# ${opts.suite} ${opts.arch} ${opts.variant}: ${r.ordered.length} packages, in install order\n`);
      for (const p of r.ordered) process.stdout.write(`${p.package} ${p.version} ${p.architecture}\n`);
    }
    if (values.lock !== undefined) await writeFileAtomic(values.lock as string, formatLock(r.lock));
    if (values.download === true) {
      const items = r.ordered.map((p) => ({ ...p, origins: [p.origin!] }));
      await downloadAll(items, opts.cache, { jobs: jobsOption(values), progress: downloadProgress(), fetch: opts.fetch });
    }
    return 0;
  },
};
