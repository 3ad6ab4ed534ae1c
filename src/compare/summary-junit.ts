// junit.xml of a summary — one test case per cell, in the Ant/Jenkins JUnit format GitLab and GitHub test reports read.

import type { Summary, SummaryCell } from './summary.js';
import { verdictText } from './summary.js';
import { escapeXml } from './xml-escape.js';

/** A cell's time: both builds, when they were timed. */
function cellTime(c: SummaryCell): string {
  const { chrootless, reference } = c.cell.seconds;
  return ((chrootless ?? 0) + (reference ?? 0)).toFixed(1);
}

/**
 * One `<testsuite>` with a `<testcase>` per cell (classname `crossroot.SUITE.VARIANT`, name the
 * architecture): a differing cell fails, listing its members; a cell the host could not
 * verify is an `<error>` typed by the error's code (not a failure: nothing was found to differ).
 *
 * @example
 * await writeFileAtomic('public/junit.xml', summaryJunit(s));
 */
export function summaryJunit(s: Summary): string {
  const failures = s.counts.different;
  const errors = s.counts['host-error'];
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="crossroot summary" tests="${s.counts.cells}" failures="${failures}" errors="${errors}">`,
    `  <testsuite name="crossroot verify: chrootless vs reference" tests="${s.counts.cells}" failures="${failures}" errors="${errors}" skipped="0">`,
  ];
  for (const c of s.cells) {
    const classname = ['crossroot', c.cell.suite, c.cell.variant, ...(c.cell.include.length > 0 ? [c.cell.include.join('+')] : [])].join('.');
    out.push(`    <testcase classname="${escapeXml(classname)}" name="${escapeXml(c.cell.architecture)}" time="${cellTime(c)}">`);
    if (c.verdict === 'different') {
      out.push(`      <failure type="different" message="${escapeXml(verdictText(c))}">${escapeXml(c.members.join('\n'))}</failure>`);
    } else if (c.error !== null) {
      out.push(`      <error type="${escapeXml(c.error.code)}" message="${escapeXml(c.error.message.split('\n')[0]!)}">${escapeXml(c.error.message)}</error>`);
    }
    out.push(`      <system-out>${escapeXml(`${c.name}: ${verdictText(c)}; report ${c.path}/`)}</system-out>`, '    </testcase>');
  }
  out.push('  </testsuite>', '</testsuites>');
  return out.join('\n') + '\n';
}
