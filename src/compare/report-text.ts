// Text compare report — what `crossroot compare` prints by default, for a person at a terminal.

import type { Comparison, InputSummary } from './compare.js';
import { byMember, describeDifference, kindCounts, verdict, visible } from './describe.js';

function input(label: string, s: InputSummary): string {
  return `${label}: ${visible(s.path)} (${s.format}, ${s.members} member${s.members === 1 ? '' : 's'}${s.sorted ? '' : ', not sorted by name'})`;
}

/**
 * The human report: the two inputs, the verdict, counts per kind, then each differing member
 * with its differences, text diffs indented under them. Deterministic: no times, no host paths
 * beyond the ones given.
 *
 * @example
 * process.stdout.write(textReport(await compareTrees(a, b)));
 */
export function textReport(c: Comparison): string {
  const out = [input('a', c.a), input('b', c.b), '', verdict(c)];
  if (!c.identical) {
    out.push('');
    for (const [kind, n] of Object.entries(kindCounts(c.differences))) if (n > 0) out.push(`  ${kind.padEnd(13)} ${n}`);
    out.push('');
    for (const [member, ds] of byMember(c.differences)) {
      out.push(visible(member));
      for (const d of ds) {
        out.push(`  ${describeDifference(d)}`);
        if (d.kind === 'content' && d.diff !== null) {
          for (const line of d.diff.replace(/\n$/, '').split('\n')) out.push(`    ${visible(line)}`);
        }
      }
    }
  }
  return out.join('\n') + '\n';
}
