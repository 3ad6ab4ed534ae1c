// `crossroot verify SUITE [MIRROR...]` — build both ways from one resolution, compare, report.

import { verifySuite } from '../../pipeline/verify.js';
import { textReport } from '../../compare/report-text.js';
import { CrossrootError } from '../../errors.js';
import { parseCommandArgs, type Command } from '../command.js';
import { ARCHIVE_HELP, ARCHIVE_OPTIONS, MIRROR_HELP, jobsOption, resolveOptions, toolsRootOption } from '../options.js';
import { downloadProgress } from '../progress.js';

const HELP = `Usage: crossroot verify [OPTIONS] SUITE [MIRROR...]

Resolve SUITE once, build the root chrootless (crossroot build) and the reference (real dpkg
inside the root, qemu-user for a foreign architecture: crossroot reference) from that same
set, and compare the two tarballs member by member. Exit 0 only if they are identical,
1 if they differ.

The reference's qemu-user: the host's binfmt_misc entry when arch-test says it runs the
target; else a static qemu-user from SUITE's own archive for this host's architecture
(verified and cached like any package, CACHE/qemu-v1/), registered in a binfmt_misc of
crossroot's own (a user namespace; Linux 6.7 or later, as root) and never in the host's.

The report directory gets: the lockfile, chrootless.tar and reference.tar, their manifests
(one line per member: TYPE MODE UID:GID SIZE MTIME SHA256 PATH), report.txt, report.json,
junit.xml (one failing test case per differing member) and report.html. report.json and
report.html name the cell (suite, architecture, variant, mirrors, lockfile digest, crossroot
version, seconds per build, the reference's qemu: package, version, binary, origin); report.html names the package shipping each differing member.
When the host lacks something (exit 4), report.json is still written, with the verdict
"host-error" and the message, for 'crossroot summary'.

Options:
${ARCHIVE_HELP}  --report DIR         the report directory (default: ./crossroot-report)
  --installer native|dpkg
                       the chrootless installer (default: native)
${MIRROR_HELP}`;

export const verifyCommand: Command = {
  summary: 'build chrootless and reference from one resolution, compare, report',
  help: HELP,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, { ...ARCHIVE_OPTIONS, report: { type: 'string' }, installer: { type: 'string' } });
    const installer = (values.installer as string | undefined) ?? 'native';
    if (installer !== 'native' && installer !== 'dpkg') throw new CrossrootError('USAGE_INSTALLER', `--installer is native or dpkg, not ${installer}`);
    const sde = process.env.SOURCE_DATE_EPOCH;
    if (sde !== undefined && !/^[0-9]+$/.test(sde)) throw new CrossrootError('USAGE_SOURCE_DATE_EPOCH', `SOURCE_DATE_EPOCH must be a number of seconds, not ${sde}`);
    const opts = resolveOptions(values, positionals, (m) => process.stderr.write(`crossroot: ${m}\n`));
    const report = (values.report as string | undefined) ?? 'crossroot-report';
    const v = await verifySuite({
      ...opts,
      report,
      installer,
      sourceDateEpoch: sde !== undefined ? Number(sde) : Math.floor(Date.now() / 1000),
      jobs: jobsOption(values),
      toolsRoot: toolsRootOption(values),
      progress: downloadProgress(),
      log: (line) => process.stderr.write(`crossroot: ${line}\n`),
      clock: () => performance.now(),
    });
    process.stdout.write(textReport(v.comparison));
    process.stdout.write(`report: ${report}/\n`);
    return v.comparison.identical ? 0 : 1;
  },
};
