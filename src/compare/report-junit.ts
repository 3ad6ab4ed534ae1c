// JUnit XML compare report — `--junit FILE`, the Ant/Jenkins JUnit format GitLab and GitHub test reports read.

import type { Comparison } from './compare.js';
import { byMember, describeDifference, verdict } from './describe.js';
import { escapeXml } from './xml-escape.js';

/**
 * One `<testsuite>` (inside `<testsuites>`): a failing `<testcase>` per differing member, its
 * `<failure>` typed by the first kind and listing every difference (and text diffs), plus one
 * passing testcase, "identical members", so the file is never empty. Times are 0: the report
 * stays deterministic, and this is a verdict, not a benchmark.
 *
 * @example
 * await writeFileAtomic('compare.xml', junitReport(c));
 */
export function junitReport(c: Comparison): string {
  const members = byMember(c.differences);
  const tests = members.size + 1;
  const failures = members.size;
  const suite = `${c.a.path} vs ${c.b.path}`;
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="crossroot compare" tests="${tests}" failures="${failures}" errors="0" time="0">`,
    `  <testsuite name="${escapeXml(suite)}" tests="${tests}" failures="${failures}" errors="0" skipped="0" time="0">`,
    '    <properties>',
    `      <property name="a" value="${escapeXml(c.a.path)}"/>`,
    `      <property name="b" value="${escapeXml(c.b.path)}"/>`,
    `      <property name="verdict" value="${escapeXml(verdict(c))}"/>`,
    '    </properties>',
  ];
  for (const [member, ds] of members) {
    const kinds = [...new Set(ds.map((d) => d.kind))];
    const body: string[] = [];
    for (const d of ds) {
      body.push(describeDifference(d));
      if (d.kind === 'content' && d.diff !== null) body.push(d.diff.replace(/\n$/, ''));
    }
    out.push(
      `    <testcase classname="crossroot.compare" name="${escapeXml(member)}" time="0">`,
      `      <failure type="${kinds[0]}" message="${escapeXml(`${kinds.join(', ')}: ${describeDifference(ds[0]!)}`)}">${escapeXml(body.join('\n'))}</failure>`,
      '    </testcase>',
    );
  }
  out.push(
    `    <testcase classname="crossroot.compare" name="identical members" time="0">`,
    `      <system-out>${c.identicalMembers} of ${c.common} common members identical</system-out>`,
    '    </testcase>',
    '  </testsuite>',
    '</testsuites>',
  );
  return out.join('\n') + '\n';
}
