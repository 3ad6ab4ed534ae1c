// `crossroot summary REPORT_DIR... --out DIR` — many verify reports folded into one matrix page.

import { summaryMarkdown } from '../../compare/summary-markdown.js';
import { CrossrootError } from '../../errors.js';
import { summarizeReports } from '../../pipeline/summary.js';
import { parseCommandArgs, type Command } from '../command.js';

const HELP = `Usage: crossroot summary [--out DIR] REPORT_DIR...

Fold the report directories of many 'crossroot verify' runs (one per suite, architecture
and variant: the cells of a CI matrix) into one directory:
  index.html   the matrix: suite/variant rows, architecture columns; each cell IDENTICAL,
               DIFFERENT (its differing members named) or HOST ERROR (the runner lacked
               something, verify exit 4: not a difference), linked to the cell's report
  summary.json the same for machines (schema: README.md, "summary.json")
  summary.md   a Markdown table, for a CI step summary or a merge-request note
  junit.xml    one test case per cell: a failure for a differing cell, an error for a
               host error
  cells/NAME/  each cell's report.html, report.json, report.txt and junit.xml
The summary is printed on stdout as Markdown.

Options:
  --out DIR    where to write (default: ./crossroot-summary)

Exit status: 0 every cell identical; 1 a cell differs; 2 usage (two reports for one
cell); 3 a missing or malformed report.json (the message names it); 4 no cell differs,
but one could not be verified on its runner (host error).
`;

export const summaryCommand: Command = {
  summary: 'fold many verify report directories into one matrix page (HTML, JSON, Markdown, JUnit)',
  help: HELP,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, { out: { type: 'string' } });
    if (positionals.length === 0) throw new CrossrootError('USAGE_ARGS', 'summary needs at least one REPORT_DIR (see --help)');
    const out = (values.out as string | undefined) ?? 'crossroot-summary';
    const s = await summarizeReports(positionals, out);
    process.stdout.write(summaryMarkdown(s));
    process.stdout.write(`summary: ${out}/index.html\n`);
    return s.verdict === 'identical' ? 0 : s.verdict === 'different' ? 1 : 4;
  },
};
