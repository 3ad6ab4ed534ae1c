// Tree comparison — a streaming member-by-member diff of two tarballs or directories (DESIGN.md "compare").

import {
  BLOCK_SIZE,
  TEXT_DIFF_MAX_BYTES,
  captureWindow,
  compareBodies,
  digestBody,
  firstDifferingIndex,
  locateDifference,
  type BodyDigest,
  type CaptureWindow,
} from './content.js';
import { differenceOrder, metadataDifferences, summarize, type ContentDifference, type Difference } from './difference.js';
import { unifiedDiff } from './line-diff.js';
import type { Member, TreeMember } from './member.js';
import { compareMemberNames } from './member-name.js';
import type { TreeFormat, TreeSource } from './tree-source.js';

/** Bytes the second pass may hold (both sides together) to work out unordered members' details. */
export const SECOND_PASS_BUDGET = 32 * 1024 * 1024;

/** One input as the report describes it. */
export interface InputSummary {
  path: string;
  format: TreeFormat;
  members: number;
  /** Members came in `tar --sort=name` order (see `compareMemberNames`). */
  sorted: boolean;
}

/** The result of comparing two trees. `differences` are in report order (`differenceOrder`). */
export interface Comparison {
  a: InputSummary;
  b: InputSummary;
  identical: boolean;
  /** Members present on both sides. */
  common: number;
  /** Common members with no difference at all. */
  identicalMembers: number;
  differences: Difference[];
}

/** A member seen on one side whose counterpart has not come yet: metadata and digests only. */
interface Pending {
  member: Member;
  digest?: BodyDigest;
}

/** A content difference whose offset or text diff needs the bytes again (the second pass). */
interface Revisit {
  difference: ContentDifference;
  window: CaptureWindow;
  text: boolean;
  captured: { a?: Buffer; b?: Buffer };
}

/** One side's member stream, tracking count and order. */
class Side {
  readonly #it: AsyncIterator<TreeMember>;
  readonly #source: TreeSource;
  #previous: string | undefined;
  count = 0;
  sorted = true;

  constructor(source: TreeSource) {
    this.#source = source;
    this.#it = source.members()[Symbol.asyncIterator]();
  }

  async next(): Promise<TreeMember | undefined> {
    const r = await this.#it.next();
    if (r.done) return undefined;
    const name = r.value.member.name;
    if (this.#previous !== undefined && compareMemberNames(this.#previous, name) >= 0) this.sorted = false;
    this.#previous = name;
    this.count++;
    return r.value;
  }

  summary(): InputSummary {
    return { path: this.#source.label, format: this.#source.format, members: this.count, sorted: this.sorted };
  }
}

/**
 * Compares two trees member by member, streaming both. When both come sorted by name (as
 * `tar --sort=name` writes them, and as directories are walked) this is a merge: members with
 * the same name are read side by side, content compared byte for byte as it streams, and
 * memory stays flat. A member whose counterpart has not come yet waits in an index holding
 * only its metadata, SHA-256 and per-block hashes — never its content; in unsorted input that
 * index is how members still meet. Content details such members need (first differing byte,
 * text diff) come from a second pass over both inputs that keeps only the bytes needed,
 * within `SECOND_PASS_BUDGET`; past it, `offset` and `diff` are null. A name repeated within
 * one input is a further member with no counterpart: it is reported missing on the other side.
 *
 * @example
 * const a = await openTree('crossroot.tar', { decompressor: hostDecompressor() });
 * const b = await openTree('mmdebstrap.tar', { decompressor: hostDecompressor() });
 * const c = await compareTrees(a, b);
 * if (!c.identical) for (const d of c.differences) console.log(d.member, d.kind);
 */
export async function compareTrees(a: TreeSource, b: TreeSource): Promise<Comparison> {
  const sides = { a: new Side(a), b: new Side(b) };
  const pending = { a: new Map<string, Pending>(), b: new Map<string, Pending>() };
  const differences: Difference[] = [];
  const revisits = new Map<string, Revisit>();
  let common = 0;
  let identicalMembers = 0;

  const record = (found: Difference[]) => {
    common++;
    if (found.length === 0) identicalMembers++;
    differences.push(...found);
  };

  /** Both members at hand: bodies read side by side. */
  const matchLive = async (ma: TreeMember, mb: TreeMember) => {
    const found = metadataDifferences(ma.member, mb.member);
    if (ma.member.type === 'file' && mb.member.type === 'file') {
      const small = ma.member.size <= TEXT_DIFF_MAX_BYTES && mb.member.size <= TEXT_DIFF_MAX_BYTES;
      const r = await compareBodies(ma.body, mb.body, small ? TEXT_DIFF_MAX_BYTES : 0);
      if (r.offset !== null) {
        const binary = r.a.binary || r.b.binary;
        const text = !binary && r.a.captured !== undefined && r.a.size <= TEXT_DIFF_MAX_BYTES && r.b.size <= TEXT_DIFF_MAX_BYTES;
        found.push({
          member: ma.member.name,
          kind: 'content',
          a: { size: r.a.size, sha256: r.a.sha256 },
          b: { size: r.b.size, sha256: r.b.sha256 },
          offset: r.offset,
          binary,
          diff: text ? unifiedDiff(r.a.captured!.toString('utf8'), r.b.captured!.toString('utf8'), ma.member.name.slice(1)) : null,
        });
      }
    }
    record(found);
  };

  /** One member live, its counterpart from the index: hashes decide, bytes come later. */
  const matchPending = (pa: Pending, pb: Pending) => {
    const found = metadataDifferences(pa.member, pb.member);
    const da = pa.digest;
    const db = pb.digest;
    if (pa.member.type === 'file' && pb.member.type === 'file' && da !== undefined && db !== undefined && da.sha256 !== db.sha256) {
      const binary = da.binary || db.binary;
      const text = !binary && da.size <= TEXT_DIFF_MAX_BYTES && db.size <= TEXT_DIFF_MAX_BYTES;
      const where = locateDifference(da, db);
      const difference: ContentDifference = {
        member: pa.member.name,
        kind: 'content',
        a: { size: da.size, sha256: da.sha256 },
        b: { size: db.size, sha256: db.sha256 },
        offset: 'offset' in where ? where.offset : null,
        binary,
        diff: null,
      };
      found.push(difference);
      if (text) revisits.set(pa.member.name, { difference, window: { start: 0, end: TEXT_DIFF_MAX_BYTES }, text, captured: {} });
      else if ('block' in where) {
        const start = where.block * BLOCK_SIZE;
        revisits.set(pa.member.name, { difference, window: { start, end: start + BLOCK_SIZE }, text, captured: {} });
      }
    }
    record(found);
  };

  const alone = async (tm: TreeMember, side: 'a' | 'b') => {
    const other = side === 'a' ? 'b' : 'a';
    const self: Pending = { member: tm.member };
    if (tm.member.type === 'file') self.digest = await digestBody(tm.body, { blocks: true });
    const counterpart = pending[other].get(tm.member.name);
    if (counterpart === undefined) {
      pending[side].set(tm.member.name, self);
      return;
    }
    pending[other].delete(tm.member.name);
    if (side === 'a') matchPending(self, counterpart);
    else matchPending(counterpart, self);
  };

  let ca = await sides.a.next();
  let cb = await sides.b.next();
  while (ca !== undefined || cb !== undefined) {
    if (ca !== undefined && cb !== undefined && ca.member.name === cb.member.name) {
      await matchLive(ca, cb);
      ca = await sides.a.next();
      cb = await sides.b.next();
    } else if (ca !== undefined && (cb === undefined || compareMemberNames(ca.member.name, cb.member.name) < 0)) {
      await alone(ca, 'a');
      ca = await sides.a.next();
    } else {
      await alone(cb!, 'b');
      cb = await sides.b.next();
    }
  }
  for (const p of pending.a.values()) differences.push({ member: p.member.name, kind: 'missing-in-b', a: summarize(p.member, p.digest?.sha256), b: null });
  for (const p of pending.b.values()) differences.push({ member: p.member.name, kind: 'missing-in-a', a: null, b: summarize(p.member, p.digest?.sha256) });

  if (revisits.size > 0) await secondPass(a, b, revisits);

  differences.sort(differenceOrder(compareMemberNames));
  return { a: sides.a.summary(), b: sides.b.summary(), identical: differences.length === 0, common, identicalMembers, differences };
}

/**
 * Reads both inputs again, keeping only the windows the revisited members need, then fills
 * in their offsets and diffs. Which members get details is decided up front, in name order,
 * so the result does not depend on input order.
 */
async function secondPass(a: TreeSource, b: TreeSource, revisits: Map<string, Revisit>): Promise<void> {
  let budget = SECOND_PASS_BUDGET;
  for (const name of [...revisits.keys()].sort(compareMemberNames)) {
    const r = revisits.get(name)!;
    const cost = 2 * (r.window.end - r.window.start);
    if (cost > budget) revisits.delete(name); // details left out: offset stays null, diff null
    else budget -= cost;
  }
  for (const [source, side] of [
    [a, 'a'],
    [b, 'b'],
  ] as const) {
    for await (const { member, body } of source.members()) {
      const r = revisits.get(member.name);
      if (r === undefined || member.type !== 'file' || r.captured[side] !== undefined) continue;
      r.captured[side] = await captureWindow(body, r.window);
    }
  }
  for (const { captured, difference: d, text, window } of revisits.values()) {
    // a member gone by the second pass (a directory changing under us) keeps what is known
    if (captured.a === undefined || captured.b === undefined) continue;
    d.offset ??= window.start + (firstDifferingIndex(captured.a, captured.b) ?? Math.min(captured.a.length, captured.b.length));
    if (text) d.diff = unifiedDiff(captured.a.toString('utf8'), captured.b.toString('utf8'), d.member.slice(1));
  }
}
