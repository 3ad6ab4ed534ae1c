// HTML compare report — `--html FILE`, one self-contained page (no scripts, no network: HTML Living Standard + CSP).

import { cellName, type Cell } from './cell.js';
import type { Comparison, InputSummary } from './compare.js';
import { byMember, describeDifference, kindCounts, verdict } from './describe.js';
import { htmlHead } from './html-page.js';
import { escapeXml as esc } from './xml-escape.js';

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.5em; margin: 0 0 .5em; }
.verdict { font-size: 1.2em; font-weight: bold; padding: .5em 1em; border-radius: 4px; display: inline-block; }
.identical { background: #d7f5dd; color: #0b5a1c; }
.different { background: #fbdada; color: #8a1111; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
td.num { text-align: right; }
td.member, pre { font-family: ui-monospace, monospace; }
ul.details { margin: 0; padding-left: 1.2em; }
pre.diff { background: #f8f8f8; border: 1px solid #ddd; padding: .5em; overflow-x: auto; }
pre.diff .add { color: #0b5a1c; background: #e6ffec; }
pre.diff .del { color: #8a1111; background: #ffebe9; }
pre.diff .hunk { color: #555; }
tr.zero { color: #999; }
td.generated { color: #666; font-style: italic; }
`;

/** What a verify report adds to compare's page: its matrix cell, and whose each differing member is. */
export interface HtmlReportContext {
  cell?: Cell;
  /** Packages shipping each differing member (package-owners.ts); a member without an entry is generated. */
  owners?: Map<string, string[]>;
}

/** Which qemu built the reference: package, version, binary and where it came from. */
function emulatorText(e: Cell['emulator']): string {
  if (e === undefined || e === null) return 'n/a';
  if (e.kind === 'native') return 'none (native)';
  const what = e.package === null ? 'qemu-user (package unknown)' : `${esc(e.package)} ${esc(e.version ?? '')}`;
  const how = e.kind === 'host' ? 'the host\'s binfmt_misc' : 'taken from the archive, registered for this build only';
  return `${what}: <code>${esc(e.path ?? '?')}</code> (${how}; <code>${esc(e.origin)}</code>)`;
}

function cellSection(cell: Cell): string[] {
  const row = (k: string, v: string) => `<tr><th>${k}</th><td>${v}</td></tr>`;
  const secs = (n: number | null) => (n === null ? 'n/a' : `${n.toFixed(1)} s`);
  return [
    '<section id="cell">',
    `<h2>${esc(cellName(cell))}</h2>`,
    '<table id="cell-facts"><tbody>',
    row('suite', esc(cell.suite)),
    row('architecture', esc(cell.architecture)),
    row('variant', esc(cell.variant)),
    row('include', esc(cell.include.join(', ') || '(none)')),
    row('mirrors', cell.mirrors.map((m) => `<code>${esc(m)}</code>`).join('<br>')),
    row('lockfile', cell.lockfile === null ? 'n/a' : `${esc(cell.lockfile.name)} <code>sha256 ${esc(cell.lockfile.sha256)}</code>`),
    row('crossroot', esc(cell.crossroot)),
    row('chrootless build', secs(cell.seconds.chrootless)),
    row('reference build', secs(cell.seconds.reference)),
    row('reference emulator', emulatorText(cell.emulator)),
    '</tbody></table>',
    '</section>',
  ];
}

function ownerCell(owners: Map<string, string[]>, member: string): string {
  const o = owners.get(member);
  return o === undefined ? '<td class="generated">generated (no package ships it)</td>' : `<td>${esc(o.join(', '))}</td>`;
}

function inputRow(label: string, s: InputSummary): string {
  return `<tr><th>${label}</th><td class="member">${esc(s.path)}</td><td>${esc(s.format)}</td><td class="num">${s.members}</td><td>${
    s.sorted ? 'yes' : 'no'
  }</td></tr>`;
}

function diffBlock(diff: string): string {
  const lines = diff.replace(/\n$/, '').split('\n');
  return lines
    .map((l) => {
      const cls = l.startsWith('@@') ? 'hunk' : l.startsWith('+') && !l.startsWith('+++') ? 'add' : l.startsWith('-') && !l.startsWith('---') ? 'del' : '';
      return cls === '' ? esc(l) : `<span class="${cls}">${esc(l)}</span>`;
    })
    .join('\n');
}

/**
 * The HTML report: a summary (verdict, inputs, counts per kind), a table of the differing
 * members, and the text diffs. Everything user-controlled is escaped; the page loads nothing
 * (inline CSS, no scripts) and its Content-Security-Policy forbids it to.
 *
 * @example
 * await writeFileAtomic('compare.html', htmlReport(c));
 */
export function htmlReport(c: Comparison, context: HtmlReportContext = {}): string {
  const owners = context.owners;
  const members = byMember(c.differences);
  const out: string[] = [
    ...htmlHead(`crossroot compare: ${c.a.path} vs ${c.b.path}`, STYLE),
    '<body>',
    '<h1>crossroot compare</h1>',
    ...(context.cell === undefined ? [] : cellSection(context.cell)),
    '<section id="summary">',
    `<p class="verdict ${c.identical ? 'identical' : 'different'}">${esc(verdict(c))}</p>`,
    '<table id="inputs"><thead><tr><th></th><th>input</th><th>format</th><th>members</th><th>sorted</th></tr></thead><tbody>',
    inputRow('a', c.a),
    inputRow('b', c.b),
    '</tbody></table>',
    '<table id="kinds"><thead><tr><th>kind</th><th>differences</th></tr></thead><tbody>',
  ];
  for (const [kind, n] of Object.entries(kindCounts(c.differences))) {
    out.push(`<tr${n === 0 ? ' class="zero"' : ''}><td>${kind}</td><td class="num">${n}</td></tr>`);
  }
  out.push('</tbody></table>', '</section>');

  const diffs: { id: string; member: string; diff: string }[] = [];
  if (members.size === 0) {
    out.push('<section id="members"><p>No differences.</p></section>');
  } else {
    out.push(
      '<section id="members">',
      '<h2>Differing members</h2>',
      `<table id="differences"><thead><tr><th>member</th>${owners === undefined ? '' : '<th>package</th>'}<th>kinds</th><th>differences</th></tr></thead><tbody>`,
    );
    for (const [member, ds] of members) {
      const items = ds.map((d) => {
        let li = esc(describeDifference(d));
        if (d.kind === 'content' && d.diff !== null) {
          const id = `diff-${diffs.length + 1}`;
          diffs.push({ id, member, diff: d.diff });
          li += ` <a href="#${id}">diff</a>`;
        }
        return `<li>${li}</li>`;
      });
      out.push(
        `<tr><td class="member">${esc(member)}</td>${owners === undefined ? '' : ownerCell(owners, member)}<td>${esc([...new Set(ds.map((d) => d.kind))].join(', '))}</td><td><ul class="details">${items.join('')}</ul></td></tr>`,
      );
    }
    out.push('</tbody></table>', '</section>');
  }
  if (diffs.length > 0) {
    out.push('<section id="diffs">', '<h2>Diffs</h2>');
    for (const d of diffs) out.push(`<h3 id="${d.id}" class="member">${esc(d.member)}</h3>`, `<pre class="diff">${diffBlock(d.diff)}</pre>`);
    out.push('</section>');
  }
  out.push('</body>', '</html>');
  return out.join('\n') + '\n';
}
