// index.html of a summary — the matrix as one self-contained page (no scripts, no network: HTML Living Standard + CSP).

import { cellRow } from './cell.js';
import type { Summary, SummaryCell } from './summary.js';
import { verdictText } from './summary.js';
import { htmlHead } from './html-page.js';
import { escapeXml as esc } from './xml-escape.js';

/** Members named in a matrix cell; the cell's report has them all. */
const MEMBERS_SHOWN = 10;

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.5em; margin: 0 0 .5em; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: .4em .7em; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
td.identical, p.identical { background: #d7f5dd; color: #0b5a1c; }
td.different, p.different { background: #fbdada; color: #8a1111; }
td.host-error, p.host-error { background: #fff1c7; color: #6b4b00; }
td.empty { background: #fafafa; color: #999; }
td .verdict { font-weight: bold; }
p.verdict { font-size: 1.2em; font-weight: bold; padding: .5em 1em; border-radius: 4px; display: inline-block; }
ul.members { margin: .3em 0 0; padding-left: 1.2em; font-family: ui-monospace, monospace; font-size: .9em; }
pre.error { white-space: pre-wrap; margin: .3em 0 0; font-size: .85em; max-width: 40em; }
code, td.mono { font-family: ui-monospace, monospace; }
`;

function matrixCell(c: SummaryCell): string {
  const link = c.verdict === 'host-error' ? `${c.path}/report.json` : `${c.path}/report.html`;
  const out = [`<td class="${c.verdict}" data-cell="${esc(c.name)}" data-verdict="${c.verdict}">`, `<a class="verdict" href="${esc(link)}">${esc(verdictText(c))}</a>`];
  if (c.verdict === 'different') {
    const shown = c.members.slice(0, MEMBERS_SHOWN).map((m) => `<li>${esc(m)}</li>`);
    if (c.members.length > MEMBERS_SHOWN) shown.push(`<li>and ${c.members.length - MEMBERS_SHOWN} more</li>`);
    out.push(`<ul class="members">${shown.join('')}</ul>`);
  }
  if (c.error !== null) out.push(`<pre class="error">${esc(`${c.error.code}: ${c.error.message}`)}</pre>`);
  out.push('</td>');
  return out.join('');
}

const seconds = (n: number | null) => (n === null ? 'n/a' : `${n.toFixed(1)} s`);

/**
 * The summary page: the overall verdict, the matrix (suite/variant rows, architecture
 * columns; each cell its verdict, linked to its report, a differing cell's members named, a
 * host-error cell's message shown), then one line of facts per cell.
 *
 * @example
 * await writeFileAtomic('public/index.html', summaryHtml(s));
 */
export function summaryHtml(s: Summary): string {
  const at = new Map(s.cells.map((c) => [`${cellRow(c.cell)}\n${c.cell.architecture}`, c]));
  const overall =
    s.verdict === 'identical'
      ? `IDENTICAL: all ${s.counts.cells} cells`
      : `${s.verdict === 'different' ? 'DIFFERENT' : 'NOT ALL VERIFIED'}: ${s.counts.identical} identical, ${s.counts.different} different, ${s.counts['host-error']} host error${s.counts['host-error'] === 1 ? '' : 's'}`;
  const out: string[] = [
    ...htmlHead('crossroot summary', STYLE),
    '<body>',
    '<h1>crossroot summary: chrootless vs reference</h1>',
    `<p class="verdict ${s.verdict}" id="verdict">${esc(overall)}</p>`,
    '<table id="matrix"><thead><tr><th>suite/variant</th>',
    ...s.architectures.map((a) => `<th>${esc(a)}</th>`),
    '</tr></thead><tbody>',
  ];
  for (const row of s.rows) {
    out.push(`<tr><th>${esc(row)}</th>`);
    for (const arch of s.architectures) {
      const c = at.get(`${row}\n${arch}`);
      out.push(c === undefined ? '<td class="empty">not run</td>' : matrixCell(c));
    }
    out.push('</tr>');
  }
  out.push(
    '</tbody></table>',
    '<h2>Cells</h2>',
    '<table id="cells"><thead><tr><th>cell</th><th>verdict</th><th>chrootless</th><th>reference</th><th>lockfile sha256</th><th>crossroot</th><th>mirrors</th></tr></thead><tbody>',
  );
  for (const c of s.cells) {
    out.push(
      `<tr><td>${esc(c.name)}</td><td>${esc(verdictText(c))}</td><td>${seconds(c.cell.seconds.chrootless)}</td><td>${seconds(c.cell.seconds.reference)}</td>` +
        `<td class="mono">${c.cell.lockfile === null ? 'n/a' : esc(c.cell.lockfile.sha256.slice(0, 16))}</td><td>${esc(c.cell.crossroot)}</td>` +
        `<td>${c.cell.mirrors.map((m) => `<code>${esc(m)}</code>`).join('<br>')}</td></tr>`,
    );
  }
  out.push('</tbody></table>', '</body>', '</html>');
  return out.join('\n') + '\n';
}
