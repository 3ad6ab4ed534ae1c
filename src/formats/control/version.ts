// Debian version parse, format and compare — deb-version(5), as dpkg's lib/dpkg/version.c and parsehelp.c parseversion().

import { CrossrootError, printable } from '../../errors.js';

/** A parsed Debian version `[epoch:]upstream[-revision]`. */
export interface DebianVersion {
  /** 0 when the version has no `epoch:` part. */
  epoch: number;
  /** The upstream version: everything between the epoch colon and the last hyphen. */
  upstream: string;
  /** The Debian revision after the last hyphen; `''` for a native version. */
  revision: string;
}

/**
 * Version relation operators of deb-control(5). `<` and `>` are the obsolete spellings,
 * which dpkg reads as `<=` and `>=` (not as strict comparisons).
 */
export type VersionRelation = '<<' | '<=' | '=' | '>=' | '>>' | '<' | '>';

const INT_MAX = 2147483647;

function versionError(text: string, why: string): CrossrootError {
  // The text comes from an index or a control file: escaped, so that the message stays one line.
  return new CrossrootError('FORMAT_VERSION', `invalid version '${printable(text)}': ${printable(why)}`);
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isAlpha(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

// c_isblank(): the only whitespace dpkg trims around a version.
function isBlank(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

function checkChars(part: string, allowed: string, text: string, what: string): void {
  for (let i = 0; i < part.length; i++) {
    const c = part.charCodeAt(i);
    if (!isDigit(c) && !isAlpha(c) && !allowed.includes(part[i]!)) {
      throw versionError(text, `invalid character '${part[i]!}' in ${what}`);
    }
  }
}

/**
 * Parses a Debian version the way dpkg's `parseversion()` does: blanks around it are
 * trimmed, the epoch ends at the first `:`, the revision starts after the last `-`.
 *
 * Errors (code `FORMAT_VERSION`) are dpkg's: empty string, embedded spaces, empty,
 * non-numeric, negative or too big (> INT_MAX) epoch, nothing after the colon, empty
 * revision after a trailing hyphen, empty upstream version, and characters outside
 * `[0-9A-Za-z.+~:-]` (upstream) or `[0-9A-Za-z.+~]` (revision). An upstream version not
 * starting with a digit is accepted: dpkg only warns about it in its database parser.
 *
 * The epoch is read as C `strtol()` reads it, so `+1:` is epoch 1 and `-0:` epoch 0, as in dpkg.
 *
 * @example
 * parseVersion('1:2.36-9+deb12u4'); // { epoch: 1, upstream: '2.36', revision: '9+deb12u4' }
 */
export function parseVersion(text: string): DebianVersion {
  let start = 0;
  let end = text.length;
  while (start < end && isBlank(text.charCodeAt(start))) start++;
  while (end > start && isBlank(text.charCodeAt(end - 1))) end--;
  if (start === end) throw versionError(text, 'version string is empty');
  const s = text.slice(start, end);
  for (let i = 0; i < s.length; i++) {
    if (isBlank(s.charCodeAt(i))) throw versionError(text, 'version string has embedded spaces');
  }

  let epoch = 0;
  let rest = s;
  const colon = s.indexOf(':');
  if (colon >= 0) {
    const m = /^([+-]?)([0-9]+)$/.exec(s.slice(0, colon));
    if (m === null) {
      throw versionError(text, /^[+-]?[0-9]/.test(s) ? 'epoch in version is not number' : 'epoch in version is empty');
    }
    const digits = m[2]!.replace(/^0+/, '');
    if (m[1] === '-' && digits !== '') throw versionError(text, 'epoch in version is negative');
    // Length first: the digit run may be longer than a double holds exactly.
    if (digits.length > 10 || Number(digits) > INT_MAX) throw versionError(text, 'epoch in version is too big');
    if (colon === s.length - 1) throw versionError(text, 'nothing after colon in version number');
    epoch = digits === '' ? 0 : Number(digits);
    rest = s.slice(colon + 1);
  }

  let upstream = rest;
  let revision = '';
  const hyphen = rest.lastIndexOf('-');
  if (hyphen >= 0) {
    upstream = rest.slice(0, hyphen);
    revision = rest.slice(hyphen + 1);
    if (revision === '') throw versionError(text, 'revision number is empty');
  }
  if (upstream === '') throw versionError(text, 'version number is empty');
  // dpkg's strict parser also rejects a non-digit first character; its database parser
  // (lax) only warns, and so do we — such versions exist in old archives.
  checkChars(upstream, '.-+~:', text, 'version number');
  checkChars(revision, '.+~', text, 'revision number');
  return { epoch, upstream, revision };
}

/**
 * Writes a version as dpkg does: `epoch:` only when non-zero, `-revision` only when
 * non-empty. An epoch of 0 is still written when the upstream version contains a colon,
 * so the result always parses back to the same value.
 *
 * @throws CrossrootError `FORMAT_VERSION` when the parts cannot form a valid version
 * (for example a hyphen in the upstream version with an empty revision).
 * @example
 * formatVersion({ epoch: 1, upstream: '2.36', revision: '9' }); // '1:2.36-9'
 */
export function formatVersion(v: DebianVersion): string {
  if (!Number.isInteger(v.epoch) || v.epoch < 0 || v.epoch > INT_MAX) {
    throw new CrossrootError('FORMAT_VERSION', `invalid epoch ${String(v.epoch)}`);
  }
  const withEpoch = v.epoch !== 0 || v.upstream.includes(':');
  const text = (withEpoch ? `${v.epoch}:` : '') + v.upstream + (v.revision !== '' ? `-${v.revision}` : '');
  const back = parseVersion(text);
  if (back.epoch !== v.epoch || back.upstream !== v.upstream || back.revision !== v.revision) {
    throw versionError(text, 'the parts do not form a version that reads back the same');
  }
  return text;
}

// dpkg's order(): digits 0 (they never reach here), letters their code, `~` below
// everything including the end of the string (0), other characters after all letters.
function order(c: number): number {
  if (isDigit(c)) return 0;
  if (isAlpha(c)) return c;
  if (c === 0x7e) return -1;
  if (c !== 0) return c + 256;
  return 0;
}

// dpkg's verrevcmp(), with 0 standing for the end of a string. Digit runs are compared
// as strings — leading zeros skipped, then the longer run wins, then the first differing
// digit — so runs of any length compare exactly (STYLE.md rule 10).
function verrevcmp(a: string, b: string): number {
  let i = 0;
  let j = 0;
  const at = (s: string, k: number): number => (k < s.length ? s.charCodeAt(k) : 0);
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !isDigit(at(a, i))) || (j < b.length && !isDigit(at(b, j)))) {
      const ac = order(at(a, i));
      const bc = order(at(b, j));
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (at(a, i) === 0x30) i++;
    while (at(b, j) === 0x30) j++;
    while (isDigit(at(a, i)) && isDigit(at(b, j))) {
      if (firstDiff === 0) firstDiff = at(a, i) - at(b, j);
      i++;
      j++;
    }
    if (isDigit(at(a, i))) return 1;
    if (isDigit(at(b, j))) return -1;
    if (firstDiff !== 0) return firstDiff;
  }
  return 0;
}

function toVersion(v: string | DebianVersion): DebianVersion {
  return typeof v === 'string' ? parseVersion(v) : v;
}

/**
 * Compares two versions as `dpkg --compare-versions` does: epoch numerically, then
 * upstream and revision with dpkg's `verrevcmp()`.
 *
 * @returns -1, 0 or 1.
 * @throws CrossrootError `FORMAT_VERSION` when a string is not a valid version.
 * @example
 * compareVersions('1.0~rc1-1', '1.0-1'); // -1: `~` sorts before the end of the string
 */
export function compareVersions(a: string | DebianVersion, b: string | DebianVersion): number {
  const va = toVersion(a);
  const vb = toVersion(b);
  if (va.epoch !== vb.epoch) return va.epoch > vb.epoch ? 1 : -1;
  const rc = verrevcmp(va.upstream, vb.upstream);
  if (rc !== 0) return Math.sign(rc);
  return Math.sign(verrevcmp(va.revision, vb.revision));
}

/**
 * Whether `version` stands in relation `op` to `ref` (`version op ref`), as dpkg's
 * `dpkg_version_relate()`. The obsolete `<` and `>` mean `<=` and `>=`, as in dpkg.
 *
 * @throws CrossrootError `FORMAT_VERSION` for an invalid version or an unknown operator.
 * @example
 * satisfiesConstraint('2.36-9', '>=', '2.36'); // true
 */
export function satisfiesConstraint(version: string | DebianVersion, op: VersionRelation, ref: string | DebianVersion): boolean {
  const rc = compareVersions(version, ref);
  switch (op) {
    case '<<':
      return rc < 0;
    case '<=':
    case '<':
      return rc <= 0;
    case '=':
      return rc === 0;
    case '>=':
    case '>':
      return rc >= 0;
    case '>>':
      return rc > 0;
    default:
      throw new CrossrootError('FORMAT_VERSION', `unknown version relation '${String(op)}'`);
  }
}
