// summary.md — the matrix as a GitHub-flavoured Markdown table, for a job's step summary or a merge-request note.

import { cellRow } from './cell.js';
import type { Summary, SummaryCell } from './summary.js';
import { verdictText } from './summary.js';

const MEMBERS_SHOWN = 5;
const MARK = { identical: '✅', different: '❌', 'host-error': '⚠️' } as const;

/** Markdown table cells hold no pipes, newlines or markup from member names. */
function text(s: string): string {
  return s.replace(/[\\`*_[\]<>|]/g, (c) => `\\${c}`).replace(/\s+/g, ' ');
}

function cellText(c: SummaryCell): string {
  let t = `${MARK[c.verdict]} ${verdictText(c)}`;
  if (c.verdict === 'different') {
    t += ': ' + c.members.slice(0, MEMBERS_SHOWN).map(text).join(', ') + (c.members.length > MEMBERS_SHOWN ? `, and ${c.members.length - MEMBERS_SHOWN} more` : '');
  }
  if (c.error !== null) t += `: ${text(c.error.code)}`;
  return t;
}

/**
 * summary.md: a heading with the counts, and the matrix as a table.
 *
 * @example
 * await appendFile(process.env.GITHUB_STEP_SUMMARY, summaryMarkdown(s));
 */
export function summaryMarkdown(s: Summary): string {
  const at = new Map(s.cells.map((c) => [`${cellRow(c.cell)}\n${c.cell.architecture}`, c]));
  const out = [
    `### crossroot: ${s.counts.identical} identical, ${s.counts.different} different, ${s.counts['host-error']} host error${s.counts['host-error'] === 1 ? '' : 's'}`,
    '',
    `| suite/variant | ${s.architectures.map(text).join(' | ')} |`,
    `|---|${s.architectures.map(() => '---|').join('')}`,
  ];
  for (const row of s.rows) {
    out.push(`| ${text(row)} | ${s.architectures.map((a) => { const c = at.get(`${row}\n${a}`); return c === undefined ? '' : cellText(c); }).join(' | ')} |`);
  }
  return out.join('\n') + '\n';
}
