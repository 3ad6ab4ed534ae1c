// OpenPGP cleartext signature framework, splitting only — RFC 9580 §7 (RFC 4880 §7), checked as apt's SplitClearSignedFile().

import { CrossrootError } from '../../errors.js';

/** A cleartext-signed message taken apart. Nothing here is verified: gpgv does that. */
export interface ClearsignedMessage {
  /**
   * The text as signed: dash-escaping undone, trailing spaces and tabs and CRs removed from
   * every line (RFC 9580 §7.2 leaves them out of the signature), lines joined by `\n`, and
   * no line break after the last line (the one before the signature belongs to the framing).
   */
  body: string;
  /** The armored signature block(s), from `-----BEGIN PGP SIGNATURE-----` on, one `\n` per line. */
  signature: string;
  /** The algorithms named by `Hash:` armor headers, in order (often none). */
  hashes: string[];
}

const BEGIN_MESSAGE = '-----BEGIN PGP SIGNED MESSAGE-----';
const BEGIN_SIGNATURE = '-----BEGIN PGP SIGNATURE-----';
const END_SIGNATURE = '-----END PGP SIGNATURE-----';

function fail(why: string, line?: number): CrossrootError {
  return new CrossrootError('FORMAT_CLEARSIGNED', why, line !== undefined ? { line } : {});
}

// Line ending first, then the trailing whitespace RFC 9580 §7.2 excludes from signing.
function stripEnd(line: string): string {
  return line.replace(/[\r\n]+$/, '').replace(/[ \t]+$/, '');
}

/**
 * Splits a cleartext-signed message (an `InRelease` file) into the signed text and the
 * signature. Rejected with `FORMAT_CLEARSIGNED`, as apt rejects them (these are the
 * shapes that could make a parser read other text than gpgv verified):
 * - anything before `-----BEGIN PGP SIGNED MESSAGE-----` on the first line, or no such line;
 * - an armor header other than `Hash: ...` (gpg calls that an invalid clearsig header);
 * - a line starting with `-` in the headers or the text that is not dash-escaped (`- `),
 *   such as a second `-----BEGIN PGP SIGNED MESSAGE-----`;
 * - no signature, a line starting with `-` inside it, a signature not closed, or any
 *   line after the last `-----END PGP SIGNATURE-----` (also blank ones) that does not
 *   open another signature block.
 *
 * @example
 * const { body } = splitClearsigned(
 *   '-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nOrigin: Debian\n- -x\n' +
 *     '-----BEGIN PGP SIGNATURE-----\n\niQ==\n-----END PGP SIGNATURE-----\n');
 * // body === 'Origin: Debian\n-x'
 */
export function splitClearsigned(text: string): ClearsignedMessage {
  const lines = text.split('\n');
  // A final line break ends the last line; it does not start an empty one.
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) throw fail('empty input, not a cleartext-signed message');

  if (stripEnd(lines[0]!) !== BEGIN_MESSAGE) {
    const at = lines.findIndex((l) => stripEnd(l) === BEGIN_MESSAGE);
    if (at >= 0) throw fail(`text before '${BEGIN_MESSAGE}': the message must start with it`, at + 1);
    throw fail(`no '${BEGIN_MESSAGE}' line: not a cleartext-signed message`, 1);
  }

  let i = 1;
  const hashes: string[] = [];
  // Armor headers, up to the empty line.
  for (;;) {
    if (i >= lines.length) throw fail('truncated in the armor headers: no empty line, no text, no signature', i);
    const line = stripEnd(lines[i]!);
    i++;
    if (line === '') break;
    if (line.startsWith('-')) throw fail(`unexpected line starting with a dash in the armor headers: '${line}'`, i);
    const m = /^Hash: (.*)$/.exec(line);
    if (m === null) throw fail(`invalid armor header '${line}': only 'Hash' is allowed before cleartext`, i);
    const names = m[1]!.split(',').map((h) => h.trim());
    if (names.some((h) => h === '')) throw fail(`empty algorithm name in armor header '${line}'`, i);
    hashes.push(...names);
  }

  // The dash-escaped text, up to the signature.
  const body: string[] = [];
  for (;;) {
    if (i >= lines.length) throw fail(`no '${BEGIN_SIGNATURE}' line: the signature is missing`, i);
    const raw = lines[i]!.replace(/[\r\n]+$/, '');
    i++;
    // Checked before stripping, so `- ` escaping an empty line still reads as escaped.
    if (raw.startsWith('- ')) {
      body.push(stripEnd(raw.slice(2)));
      continue;
    }
    const line = stripEnd(raw);
    if (line === BEGIN_SIGNATURE) break;
    if (line === BEGIN_MESSAGE) throw fail(`a second '${BEGIN_MESSAGE}' line`, i);
    if (line.startsWith('-')) throw fail(`unexpected line starting with a dash in the signed text (not dash-escaped): '${line}'`, i);
    body.push(line);
  }

  // One or more armored signature blocks, and nothing else.
  const signature: string[] = [BEGIN_SIGNATURE];
  let open = true;
  for (; i < lines.length; i++) {
    const line = stripEnd(lines[i]!);
    if (open) {
      if (line === END_SIGNATURE) open = false;
      else if (line.startsWith('-')) throw fail(`unexpected line starting with a dash in the signature: '${line}'`, i + 1);
    } else if (line === BEGIN_SIGNATURE) {
      open = true;
    } else {
      throw fail(`unsigned text after '${END_SIGNATURE}': '${line}'`, i + 1);
    }
    signature.push(line);
  }
  if (open) throw fail(`the signature is not closed by '${END_SIGNATURE}'`, lines.length);

  return { body: body.join('\n'), signature: `${signature.join('\n')}\n`, hashes };
}
