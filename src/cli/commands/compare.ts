// `crossroot compare A B` — member-by-member diff of two tarballs or directories, in four report formats.

import { compareTrees } from '../../compare/compare.js';
import { htmlReport } from '../../compare/report-html.js';
import { JSON_REPORT_SCHEMA, jsonReport } from '../../compare/report-json.js';
import { junitReport } from '../../compare/report-junit.js';
import { textReport } from '../../compare/report-text.js';
import { openTree } from '../../compare/tree-source.js';
import { writeFileAtomic } from '../../host/atomic.js';
import { CrossrootError } from '../../errors.js';
import { hostDecompressor } from '../../host/decompress.js';
import { parseCommandArgs, type Command } from '../command.js';

const HELP = `Usage: crossroot compare [--json] [--junit FILE] [--html FILE] A B

Compare two root filesystem trees member by member. A and B are tarballs (.tar, .tar.gz,
.tar.xz, .tar.zst: the compression is recognised from the content) or directories, in
any mix. Member names are normalized ("./usr/", "usr" and "/usr" are one member), so a
directory and a tarball of the same tree compare identical.

For every member on both sides: type, mode, owner (uid/gid), owner names, mtime,
symlink and hardlink targets, device numbers, xattrs and content (SHA-256). Each
difference is reported once, under one kind:
  missing-in-a missing-in-b type hardlink mode owner owner-name mtime linkname
  device xattr content
A type difference is the only one reported for its member; a hardlink on one side and a
regular file on the other is "hardlink"; a size change is part of "content". Content
differences give the first differing byte, and a unified diff (at most 200 lines) for
text files up to 256 KiB. Owner names are compared only when both inputs record them
(a directory does not).

Both inputs are streamed; inputs sorted by name (tar --sort=name, directories) are
merged in one pass with flat memory, unsorted ones are matched through an index of
metadata and digests.

Options:
  --json         print the JSON report on stdout instead of the text one
  --junit FILE   also write a JUnit XML report: one failing testcase per differing
                 member, one passing testcase for the identical ones
  --html FILE    also write a self-contained HTML report (summary, table, diffs)

Exit status: 0 identical; 1 different; 2 usage; 3 bad input (missing, corrupt or
truncated input: one line naming the file and member); 4 the host lacks a tool.

JSON report (--json):
${JSON_REPORT_SCHEMA.replace(/^/gm, '  ').replace(/ +$/gm, '')}`;

export const compareCommand: Command = {
  summary: 'member-by-member diff of two tarballs/directories (--json, --junit, --html)',
  help: HELP,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, {
      json: { type: 'boolean' },
      junit: { type: 'string' },
      html: { type: 'string' },
    });
    if (positionals.length !== 2) throw new CrossrootError('USAGE_ARGS', 'compare needs two inputs, A and B (see --help)');
    const [pathA, pathB] = positionals as [string, string];
    const decompressor = hostDecompressor();
    const a = await openTree(pathA, { decompressor });
    const b = await openTree(pathB, { decompressor });
    // Should a stream ever stall, Node drains its event loop and exits 0 — "identical". Never that.
    const stalled = () => {
      process.stderr.write('crossroot: internal error: compare stalled: an input stream stopped without ending or failing\n');
      process.exitCode = 70;
    };
    process.once('beforeExit', stalled);
    let comparison;
    try {
      comparison = await compareTrees(a, b);
    } finally {
      process.off('beforeExit', stalled);
    }
    if (typeof values.junit === 'string') await writeFileAtomic(values.junit, junitReport(comparison));
    if (typeof values.html === 'string') await writeFileAtomic(values.html, htmlReport(comparison));
    process.stdout.write(values.json ? jsonReport(comparison) : textReport(comparison));
    return comparison.identical ? 0 : 1;
  },
};
