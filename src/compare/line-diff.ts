// Line diff — Myers' O(ND) algorithm (E. Myers, "An O(ND) Difference Algorithm", 1986), unified format as diff(1) -u.

/** Context lines around each change, as `diff -u`. */
const CONTEXT = 3;
/** Edit distance beyond which the middle is shown as replaced wholesale (bounds time and memory). */
const MAX_EDITS = 1000;
/** Snake steps beyond which the same happens: Myers is O((N+M)·D), this keeps it O(1) in the worst case. */
const MAX_WORK = 20_000_000;

type Op = ' ' | '-' | '+';
interface Edit {
  op: Op;
  /** Index in a (for ' ' and '-') or in b (for '+'). */
  line: number;
}

/** Lines with their terminators (`x\n`), so a missing final newline is a difference, as in diff. */
function splitLines(text: string): string[] {
  const out = text.split(/(?<=\n)/);
  return out.length === 1 && out[0] === '' ? [] : out;
}

/** Myers' greedy forward search, keeping each round's frontier for the walk back. */
function myers(a: string[], b: string[], aStart: number, aEnd: number, bStart: number, bEnd: number): Edit[] | undefined {
  const n = aEnd - aStart;
  const m = bEnd - bStart;
  const max = Math.min(n + m, MAX_EDITS);
  const off = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let work = 0;
  for (let d = 0; d <= max; d++) {
    // round d only touches diagonals of d's parity; the walk back reads round d-1's
    const snap = new Int32Array(d + 1);
    for (let k = -d; k <= d; k += 2) {
      let x = d === 0 ? 0 : k === -d || (k !== d && v[off + k - 1]! < v[off + k + 1]!) ? v[off + k + 1]! : v[off + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[aStart + x] === b[bStart + y]) {
        x++;
        y++;
        work++;
      }
      v[off + k] = x;
      snap[(k + d) >> 1] = x;
      if (x >= n && y >= m) {
        trace.push(snap);
        return walkBack(trace, n, m, aStart, bStart);
      }
    }
    trace.push(snap);
    work += d;
    if (work > MAX_WORK) return undefined;
  }
  return undefined;
}

function walkBack(trace: Int32Array[], n: number, m: number, aStart: number, bStart: number): Edit[] {
  const edits: Edit[] = [];
  let x = n;
  let y = m;
  const at = (d: number, k: number) => trace[d]![(k + d) >> 1]!;
  for (let d = trace.length - 1; d > 0; d--) {
    const k = x - y;
    const down = k === -d || (k !== d && at(d - 1, k - 1) < at(d - 1, k + 1));
    const pk = down ? k + 1 : k - 1;
    const px = at(d - 1, pk);
    const py = px - pk;
    // the snake that followed the edit, back to the point just after it
    const midX = down ? px : px + 1;
    const midY = down ? py + 1 : py;
    while (x > midX && y > midY) {
      x--;
      y--;
      edits.push({ op: ' ', line: aStart + x });
    }
    edits.push(down ? { op: '+', line: bStart + py } : { op: '-', line: aStart + px });
    x = px;
    y = py;
  }
  while (x > 0 && y > 0) {
    x--;
    y--;
    edits.push({ op: ' ', line: aStart + x });
  }
  return edits.reverse();
}

/** The whole edit script: common prefix and suffix trimmed, Myers (or a wholesale replace) between. */
function editScript(a: string[], b: string[]): Edit[] {
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  const edits: Edit[] = [];
  for (let i = 0; i < pre; i++) edits.push({ op: ' ', line: i });
  const middle = myers(a, b, pre, a.length - suf, pre, b.length - suf);
  if (middle !== undefined) edits.push(...middle);
  else {
    for (let i = pre; i < a.length - suf; i++) edits.push({ op: '-', line: i });
    for (let i = pre; i < b.length - suf; i++) edits.push({ op: '+', line: i });
  }
  for (let i = a.length - suf; i < a.length; i++) edits.push({ op: ' ', line: i });
  return edits;
}

function range(start: number, count: number): string {
  // diff -u: "l,c", "l" when c is 1, and "l-1,0" (the line before) for an empty range
  if (count === 1) return `${start + 1}`;
  return `${count === 0 ? start : start + 1},${count}`;
}

/**
 * A unified diff of two texts (`diff -u` layout, `\ No newline at end of file` included),
 * with `--- a/NAME` / `+++ b/NAME` headers, cut after `maxLines` lines with a last line
 * saying how many were left out. Empty when the texts are equal.
 *
 * @example
 * unifiedDiff('a\nb\n', 'a\nc\n', 'etc/x')
 * // '--- a/etc/x\n+++ b/etc/x\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n'
 */
export function unifiedDiff(aText: string, bText: string, name: string, maxLines = 200): string {
  const a = splitLines(aText);
  const b = splitLines(bText);
  const edits = editScript(a, b);
  const lines: string[] = [`--- a/${name}`, `+++ b/${name}`];
  // positions in a and b before each edit
  const ai: number[] = [];
  const bi: number[] = [];
  let x = 0;
  let y = 0;
  for (const e of edits) {
    ai.push(x);
    bi.push(y);
    if (e.op !== '+') x++;
    if (e.op !== '-') y++;
  }
  ai.push(x);
  bi.push(y);
  let i = 0;
  while (i < edits.length) {
    if (edits[i]!.op === ' ') {
      i++;
      continue;
    }
    // a hunk: from CONTEXT before this change to CONTEXT after the last change within reach
    const start = Math.max(0, i - CONTEXT);
    let end = i;
    let lastChange = i;
    while (end < edits.length && (edits[end]!.op !== ' ' || end - lastChange <= 2 * CONTEXT)) {
      if (edits[end]!.op !== ' ') lastChange = end;
      end++;
    }
    end = Math.min(edits.length, lastChange + CONTEXT + 1);
    const aCount = ai[end]! - ai[start]!;
    const bCount = bi[end]! - bi[start]!;
    lines.push(`@@ -${range(ai[start]!, aCount)} +${range(bi[start]!, bCount)} @@`);
    for (let j = start; j < end; j++) {
      const e = edits[j]!;
      const text = e.op === '+' ? b[e.line]! : a[e.line]!;
      lines.push(e.op + text.replace(/\n$/, ''));
      if (!text.endsWith('\n')) lines.push('\\ No newline at end of file');
    }
    i = end;
  }
  if (lines.length === 2) return '';
  if (lines.length > maxLines) {
    const left = lines.length - maxLines;
    lines.length = maxLines;
    lines.push(`[… ${left} more diff line${left === 1 ? '' : 's'} not shown]`);
  }
  return lines.join('\n') + '\n';
}
