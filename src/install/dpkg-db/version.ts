// Versions as the dpkg database stores them — dpkg 1.21.23 `lib/dpkg/parsehelp.c`
// parseversion() and varbufversion(vdew_nonambig).
//
// The database never writes a version as it was read: it parses it into
// epoch/upstream/revision and prints it back "non-ambiguously", so `0:1.0` becomes
// `1.0`, `01:2` becomes `1:2`, and an epoch is kept when the upstream part or the
// revision holds a colon. Leading and trailing blanks (space, tab) are dropped.

/** A parsed version: what dpkg's struct dpkg_version holds. */
export interface DbVersion {
  epoch: number;
  upstream: string;
  revision: string;
}

/** parseversion()'s verdict: an error, a warning (the version is still usable), or ok. */
export type VersionParse = { version: DbVersion; problem?: { severity: 'error' | 'warning'; message: string } };

const isBlank = (c: string | undefined) => c === ' ' || c === '\t';
const isDigit = (c: string) => c >= '0' && c <= '9';
const isAlpha = (c: string) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');

/**
 * Parses a version with dpkg's rules. Errors leave `version` partly filled, as in dpkg;
 * warnings (non-digit start, bad characters) are errors unless the caller is lax.
 *
 * @example
 * parseDbVersion('0:1.2-3').version // { epoch: 0, upstream: '1.2', revision: '3' }
 */
export function parseDbVersion(input: string): VersionParse {
  const version: DbVersion = { epoch: 0, upstream: '', revision: '' };
  const error = (message: string): VersionParse => ({ version, problem: { severity: 'error', message } });
  const warn = (message: string): VersionParse => ({ version, problem: { severity: 'warning', message } });
  let start = 0;
  while (start < input.length && isBlank(input[start])) start++;
  if (start === input.length) return error('version string is empty');
  let end = start;
  while (end < input.length && !isBlank(input[end])) end++;
  let ptr = end;
  while (ptr < input.length && isBlank(input[ptr])) ptr++;
  if (ptr < input.length) return error('version string has embedded spaces');
  let text = input.slice(start, end);

  const colon = text.indexOf(':');
  if (colon >= 0) {
    // strtol(): optional sign, then digits; the colon must follow immediately.
    const m = /^([+-]?)([0-9]*)/.exec(text)!;
    if (m[2] === '') return error('epoch in version is empty');
    if (m[0].length !== colon) return error('epoch in version is not number');
    if (m[1] === '-' && /[1-9]/.test(m[2])) return error('epoch in version is negative');
    const epoch = Number(m[2]);
    if (!Number.isSafeInteger(epoch) || epoch > 2147483647) return error('epoch in version is too big');
    if (colon + 1 === text.length) return error('nothing after colon in version number');
    version.epoch = epoch;
    text = text.slice(colon + 1);
  }
  const hyphen = text.lastIndexOf('-');
  if (hyphen >= 0) {
    version.upstream = text.slice(0, hyphen);
    version.revision = text.slice(hyphen + 1);
    if (version.revision === '') return error('revision number is empty');
  } else {
    version.upstream = text;
  }
  if (version.upstream === '') return error('version number is empty');
  if (!isDigit(version.upstream[0]!)) return warn('version number does not start with digit');
  for (const c of version.upstream.slice(1)) {
    if (!isDigit(c) && !isAlpha(c) && !'.-+~:'.includes(c)) return warn('invalid character in version number');
  }
  for (const c of version.revision) {
    if (!isDigit(c) && !isAlpha(c) && !'.+~'.includes(c)) return warn('invalid character in revision number');
  }
  return { version };
}

/** dpkg_version_is_informative(): anything but the blank version. */
export function isInformative(v: DbVersion | undefined): v is DbVersion {
  return v !== undefined && (v.epoch !== 0 || v.upstream !== '' || v.revision !== '');
}

/**
 * varbufversion(vdew_nonambig): the epoch only when it is not 0 or a colon elsewhere
 * would make the text ambiguous.
 *
 * @example
 * formatDbVersion({ epoch: 0, upstream: '1.0', revision: '' }) // '1.0'
 */
export function formatDbVersion(v: DbVersion): string {
  const epoch = v.epoch !== 0 || v.upstream.includes(':') || v.revision.includes(':') ? `${v.epoch}:` : '';
  return `${epoch}${v.upstream}${v.revision !== '' ? `-${v.revision}` : ''}`;
}
