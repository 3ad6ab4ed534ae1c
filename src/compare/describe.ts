// Difference wording — the one-line description every compare report (text, JUnit, HTML) uses.

import { DIFFERENCE_KINDS, type Difference, type DifferenceKind, type MemberSummary } from './difference.js';
import type { Comparison } from './compare.js';

/**
 * A string with C0/C1 controls (other than tab) and DEL shown as `\xNN`, so a hostile member
 * name or file line cannot break the report's layout or a terminal.
 *
 * @example
 * visible('a\nb') // 'a\\x0ab'
 */
export function visible(s: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return s.replace(/[\x00-\x08\x0a-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/**
 * Permission bits as four octal digits.
 *
 * @example
 * octalMode(0o4755) // '4755'
 */
export function octalMode(mode: number): string {
  return mode.toString(8).padStart(4, '0');
}

/**
 * Seconds since the epoch, with the UTC date when it is one.
 *
 * @example
 * formatMtime(1000000000) // '1000000000 (2001-09-09 01:46:40 UTC)'
 */
export function formatMtime(seconds: number): string {
  const ms = seconds * 1000;
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) return String(seconds);
  return `${seconds} (${new Date(ms).toISOString().replace('T', ' ').replace(/\.000Z$/, ' UTC')})`;
}

function quoted(s: string | null): string {
  return s === null ? '(none)' : JSON.stringify(s);
}

/** The first 12 hex digits of a digest: enough to tell two apart in a report line. */
function short(sha256: string): string {
  return sha256.slice(0, 12);
}

/**
 * A member that exists on one side only, in one line.
 *
 * @example
 * describeSummary({ type: 'file', mode: 0o644, uid: 0, gid: 0, size: 3, mtime: 0 }) // 'file 0644 0:0, 3 bytes'
 */
export function describeSummary(s: MemberSummary): string {
  let out = `${s.type} ${octalMode(s.mode)} ${s.uid}:${s.gid}`;
  if (s.type === 'file') out += `, ${s.size} byte${s.size === 1 ? '' : 's'}`;
  if (s.type === 'symlink' && s.linkname !== undefined) out += ` -> ${quoted(s.linkname)}`;
  if (s.type === 'hardlink' && s.linkname !== undefined) out += ` link to ${visible(s.linkname)}`;
  if (s.sha256 !== undefined) out += `, sha256 ${short(s.sha256)}`;
  return out;
}

/**
 * One difference in one line (the member name is not repeated: reports group by member).
 *
 * @example
 * describeDifference({ member: '/etc/x', kind: 'mode', a: 0o644, b: 0o755 }) // 'mode: 0644 -> 0755'
 */
export function describeDifference(d: Difference): string {
  switch (d.kind) {
    case 'missing-in-a':
      return `only in b: ${describeSummary(d.b)}`;
    case 'missing-in-b':
      return `only in a: ${describeSummary(d.a)}`;
    case 'type':
      return `type: ${d.a} -> ${d.b}`;
    case 'hardlink': {
      const side = (t: string | null) => (t === null ? 'regular file' : `hardlink to ${visible(t)}`);
      return `hardlink: ${side(d.a)} -> ${side(d.b)}`;
    }
    case 'mode':
      return `mode: ${octalMode(d.a)} -> ${octalMode(d.b)}`;
    case 'owner':
      return `owner: ${d.a.uid}:${d.a.gid} -> ${d.b.uid}:${d.b.gid}`;
    case 'owner-name':
      return `owner name: ${quoted(d.a.uname)}:${quoted(d.a.gname)} -> ${quoted(d.b.uname)}:${quoted(d.b.gname)}`;
    case 'mtime':
      return `mtime: ${formatMtime(d.a)} -> ${formatMtime(d.b)}`;
    case 'linkname':
      return `symlink target: ${quoted(d.a)} -> ${quoted(d.b)}`;
    case 'device':
      return `device: ${d.a.major},${d.a.minor} -> ${d.b.major},${d.b.minor}`;
    case 'xattr':
      return `xattr ${Object.keys(d.a)
        .map((k) => `${visible(k)}: ${quoted(d.a[k] ?? null)} -> ${quoted(d.b[k] ?? null)}`)
        .join('; ')}`;
    case 'content': {
      const where = d.offset === null ? 'first difference not worked out' : `first difference at offset ${d.offset}`;
      return `content${d.binary ? ' (binary)' : ''}: ${d.a.size} -> ${d.b.size} bytes, ${where}, sha256 ${short(d.a.sha256)} -> ${short(d.b.sha256)}`;
    }
  }
}

/**
 * Differences per kind, every kind present (zeros included), in `DIFFERENCE_KINDS` order.
 *
 * @example
 * kindCounts(c.differences)['content'] // 2
 */
export function kindCounts(differences: readonly Difference[]): Record<DifferenceKind, number> {
  const counts = Object.fromEntries(DIFFERENCE_KINDS.map((k) => [k, 0])) as Record<DifferenceKind, number>;
  for (const d of differences) counts[d.kind]++;
  return counts;
}

/**
 * Differences grouped by member, in report order.
 *
 * @example
 * for (const [member, ds] of byMember(c.differences)) console.log(member, ds.length);
 */
export function byMember(differences: readonly Difference[]): Map<string, Difference[]> {
  const out = new Map<string, Difference[]>();
  for (const d of differences) {
    const list = out.get(d.member);
    if (list === undefined) out.set(d.member, [d]);
    else list.push(d);
  }
  return out;
}

/**
 * The verdict line every report starts from.
 *
 * @example
 * verdict(c) // 'DIFFERENT: 3 differences in 2 members (12 common members, 11 identical)'
 */
export function verdict(c: Comparison): string {
  if (c.identical) return `IDENTICAL: ${c.common} member${c.common === 1 ? '' : 's'}`;
  const n = c.differences.length;
  const members = byMember(c.differences).size;
  return `DIFFERENT: ${n} difference${n === 1 ? '' : 's'} in ${members} member${members === 1 ? '' : 's'} (${c.common} common member${
    c.common === 1 ? '' : 's'
  }, ${c.identicalMembers} identical)`;
}
