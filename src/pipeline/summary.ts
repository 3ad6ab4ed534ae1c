// Summarizing — many verify report directories folded into one publishable directory.

import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readCellReport } from '../compare/summary-load.js';
import { summarize, type Summary } from '../compare/summary.js';
import { summaryHtml } from '../compare/summary-html.js';
import { summaryJson } from '../compare/summary-json.js';
import { summaryJunit } from '../compare/summary-junit.js';
import { summaryMarkdown } from '../compare/summary-markdown.js';
import { writeFileAtomic } from '../host/atomic.js';

/** The pages of a cell copied beside the summary (not the tarballs): the summary directory can be published alone. */
const CELL_PAGES = ['report.html', 'report.json', 'report.txt', 'junit.xml'];

/**
 * Reads every report directory's report.json (all of them before writing anything: a
 * missing or malformed one is exit 3 naming it), then writes `out`: index.html,
 * summary.json, summary.md, junit.xml, and cells/NAME/ with each cell's pages.
 *
 * @example
 * const s = await summarizeReports(['reports/bookworm-amd64-essential', 'reports/bookworm-arm64-essential'], 'public');
 * s.verdict // 'identical'
 */
export async function summarizeReports(dirs: readonly string[], out: string): Promise<Summary> {
  const reports = [];
  for (const dir of dirs) reports.push(await readCellReport(dir));
  const summary = summarize(reports);
  await mkdir(out, { recursive: true });
  for (const c of summary.cells) {
    const to = join(out, c.path);
    await mkdir(to, { recursive: true });
    for (const page of CELL_PAGES) {
      await copyFile(join(c.dir, page), join(to, page)).catch((err: NodeJS.ErrnoException) => {
        // A host-error cell has report.json only.
        if (err.code !== 'ENOENT') throw err;
      });
    }
  }
  await writeFileAtomic(join(out, 'summary.json'), summaryJson(summary));
  await writeFileAtomic(join(out, 'summary.md'), summaryMarkdown(summary));
  await writeFileAtomic(join(out, 'junit.xml'), summaryJunit(summary));
  await writeFileAtomic(join(out, 'index.html'), summaryHtml(summary));
  return summary;
}
