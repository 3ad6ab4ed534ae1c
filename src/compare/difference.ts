// Differences between two members — what `crossroot compare` finds, one kind per changed attribute.

import type { TarEntryType } from '../formats/tar/entry.js';
import type { Member } from './member.js';

/**
 * The kinds, in report order. Each difference is reported exactly once, and a member has at
 * most one difference of each kind:
 * - `missing-in-a` / `missing-in-b`: the member exists on one side only (nothing else is said of it);
 * - `type`: the types differ (file, dir, symlink, char, block, fifo, hardlink) — except
 *   hardlink against regular file, which is `hardlink`. A type difference is the only one
 *   reported for its member: mode, size, targets… of different types are not comparable;
 * - `hardlink`: a hardlink on one side and a regular file (a copy) on the other, or two
 *   hardlinks to different targets. The content of a hardlink is its target's, compared under
 *   the target's name, so it is not compared again here;
 * - `mode`, `owner` (uid and/or gid), `owner-name` (uname and/or gname; only when both inputs
 *   record names — a directory on disk does not), `mtime`, `linkname` (symlink target),
 *   `device` (major and/or minor), `xattr` (every differing attribute of the member, together);
 * - `content`: regular files whose SHA-256 differs. There is no `size` kind: a size change is
 *   always a content change, and the `content` difference carries both sizes.
 */
export const DIFFERENCE_KINDS = [
  'missing-in-a',
  'missing-in-b',
  'type',
  'hardlink',
  'mode',
  'owner',
  'owner-name',
  'mtime',
  'linkname',
  'device',
  'xattr',
  'content',
] as const;

export type DifferenceKind = (typeof DIFFERENCE_KINDS)[number];

/** A member as the missing-* differences describe it. `sha256` for regular files. */
export interface MemberSummary {
  type: TarEntryType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  /** Symlink target, or hardlink target (normalized). */
  linkname?: string;
  sha256?: string;
}

/** One side of a content difference. */
export interface ContentSide {
  size: number;
  sha256: string;
}

interface Base<K extends DifferenceKind, T> {
  /** Normalized member name (`/etc/hostname`). */
  member: string;
  kind: K;
  a: T;
  b: T;
}

/** A content difference: offsets are 0-based; `diff` is a unified diff, bounded in lines. */
export interface ContentDifference extends Base<'content', ContentSide> {
  /** First differing byte (the shorter size when one is a prefix of the other); null if not worked out. */
  offset: number | null;
  /** A NUL byte in the first 8 KiB of either side (git's rule). */
  binary: boolean;
  /** Unified diff of text files up to `TEXT_DIFF_MAX_BYTES` each; null otherwise. */
  diff: string | null;
}

export type Difference =
  | { member: string; kind: 'missing-in-a'; a: null; b: MemberSummary }
  | { member: string; kind: 'missing-in-b'; a: MemberSummary; b: null }
  | Base<'type', TarEntryType>
  /** Hardlink target (normalized), or null for a regular file. */
  | Base<'hardlink', string | null>
  | Base<'mode', number>
  | Base<'owner', { uid: number; gid: number }>
  | Base<'owner-name', { uname: string; gname: string }>
  | Base<'mtime', number>
  | Base<'linkname', string>
  | Base<'device', { major: number; minor: number }>
  /** The differing attributes only; null where the side lacks it. */
  | Base<'xattr', Record<string, string | null>>
  | ContentDifference;

/**
 * Every metadata difference of two members with the same name (content is compared
 * elsewhere, from the bodies). Follows the rules of `DIFFERENCE_KINDS`.
 *
 * @example
 * metadataDifferences({ ...m, mode: 0o644 }, { ...m, mode: 0o755 })
 * // [{ member: m.name, kind: 'mode', a: 0o644, b: 0o755 }]
 */
export function metadataDifferences(a: Member, b: Member): Difference[] {
  const member = a.name;
  if (a.type !== b.type) {
    const fileAndLink = (x: Member, y: Member) => x.type === 'hardlink' && y.type === 'file';
    if (fileAndLink(a, b) || fileAndLink(b, a)) return [{ member, kind: 'hardlink', a: a.hardlink ?? null, b: b.hardlink ?? null }];
    return [{ member, kind: 'type', a: a.type, b: b.type }];
  }
  const out: Difference[] = [];
  if (a.type === 'hardlink' && a.hardlink !== b.hardlink) out.push({ member, kind: 'hardlink', a: a.hardlink!, b: b.hardlink! });
  if (a.mode !== b.mode) out.push({ member, kind: 'mode', a: a.mode, b: b.mode });
  if (a.uid !== b.uid || a.gid !== b.gid) out.push({ member, kind: 'owner', a: { uid: a.uid, gid: a.gid }, b: { uid: b.uid, gid: b.gid } });
  if (a.uname !== undefined && b.uname !== undefined && (a.uname !== b.uname || a.gname !== b.gname)) {
    out.push({ member, kind: 'owner-name', a: { uname: a.uname, gname: a.gname ?? '' }, b: { uname: b.uname, gname: b.gname ?? '' } });
  }
  if (a.mtime !== b.mtime) out.push({ member, kind: 'mtime', a: a.mtime, b: b.mtime });
  if (a.type === 'symlink' && a.linkname !== b.linkname) out.push({ member, kind: 'linkname', a: a.linkname ?? '', b: b.linkname ?? '' });
  if ((a.type === 'char' || a.type === 'block') && (a.devmajor !== b.devmajor || a.devminor !== b.devminor)) {
    out.push({ member, kind: 'device', a: { major: a.devmajor ?? 0, minor: a.devminor ?? 0 }, b: { major: b.devmajor ?? 0, minor: b.devminor ?? 0 } });
  }
  const xa = a.xattrs ?? {};
  const xb = b.xattrs ?? {};
  const keys = [...new Set([...Object.keys(xa), ...Object.keys(xb)])].filter((k) => xa[k] !== xb[k]).sort();
  if (keys.length > 0) {
    out.push({
      member,
      kind: 'xattr',
      a: Object.fromEntries(keys.map((k) => [k, xa[k] ?? null])),
      b: Object.fromEntries(keys.map((k) => [k, xb[k] ?? null])),
    });
  }
  return out;
}

/**
 * The summary of a member that exists on one side only.
 *
 * @example
 * summarize(member, 'e3b0…') // { type: 'file', mode: 420, uid: 0, gid: 0, size: 0, mtime: 0, sha256: 'e3b0…' }
 */
export function summarize(m: Member, sha256?: string): MemberSummary {
  const s: MemberSummary = { type: m.type, mode: m.mode, uid: m.uid, gid: m.gid, size: m.size, mtime: m.mtime };
  if (m.linkname !== undefined) s.linkname = m.linkname;
  if (m.hardlink !== undefined) s.linkname = m.hardlink;
  if (sha256 !== undefined) s.sha256 = sha256;
  return s;
}

/**
 * Report order: by member in tree order, then by kind in `DIFFERENCE_KINDS` order.
 *
 * @example
 * differences.sort(differenceOrder(compareMemberNames));
 */
export function differenceOrder(compareNames: (a: string, b: string) => number): (x: Difference, y: Difference) => number {
  return (x, y) => compareNames(x.member, y.member) || DIFFERENCE_KINDS.indexOf(x.kind) - DIFFERENCE_KINDS.indexOf(y.kind);
}
