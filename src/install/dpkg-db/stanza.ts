// dpkg database stanzas — a byte-faithful port of dpkg 1.21.23 `lib/dpkg/parse.c` parse_stanza().
//
// crossroot's general deb822 parser (formats/deb822) serves apt-style files; the dpkg
// database needs dpkg's own rules, because whatever dpkg keeps of a value is what it
// writes back, byte for byte:
// - text is handled as bytes (a latin1 `string`: one char per byte, lossless both ways);
// - a field name runs to the first blank or `:`; blanks before the `:` are skipped;
// - the value starts after the blanks following the `:` (a value whose first line is
//   empty starts with its `\n`), keeps every continuation line verbatim (leading blank,
//   inner trailing blanks, `\r`), and only the blanks at the very end are trimmed
//   (c_isspace: space \t \n \v \f \r);
// - a continuation line holding only blanks is an error ("blank line in value"), a
//   warning in the lax mode used for `status` and `updates/*` (pdb_lax_stanza_parser);
// - no comments: a `#` line is a field like any other;
// - ^Z (0x1a, MSDOS EOF) ends a line like `\n`.

import { CrossrootError } from '../../errors.js';

/** One field as dpkg keeps it: the name as written, the value as parse_stanza() cut it. */
export interface RawField {
  name: string;
  value: string;
}

/** One stanza: its fields in file order and the line it started on. */
export interface RawStanza {
  fields: RawField[];
  line: number;
}

export interface ParseStanzasOptions {
  /** For messages: the file being parsed. */
  file: string;
  /** pdb_lax_stanza_parser: blank continuation lines are tolerated (status, updates). */
  lax?: boolean;
}

const MSDOS_EOF = '\x1a';

/** dpkg's c_isspace(): the C locale's white space. */
export function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';
}

/**
 * Splits a dpkg database file (status, an update record, a control file) into stanzas
 * exactly as dpkg's parse_stanza() does. `text` is latin1 (one char per byte).
 *
 * @example
 * parseStanzas('Package: a\nDescription: x\n more\n', { file: 'control' })[0].fields
 * // [{ name: 'Package', value: 'a' }, { name: 'Description', value: 'x\n more' }]
 */
export function parseStanzas(text: string, options: ParseStanzasOptions): RawStanza[] {
  const stanzas: RawStanza[] = [];
  const end = text.length;
  let pos = 0;
  let lno = 1;
  const atEof = () => pos >= end;
  const getc = () => text[pos++]!;
  const fail = (detail: string): never => {
    throw new CrossrootError('INSTALL_DPKGDB_PARSE', detail, { file: options.file, line: lno });
  };

  for (;;) {
    let c = '';
    // Skip adjacent new lines.
    while (!atEof()) {
      c = getc();
      if (c !== '\n' && c !== MSDOS_EOF) break;
      lno++;
    }
    // Nothing relevant parsed (dpkg also drops a lone trailing byte here).
    if (atEof()) break;

    const stanza: RawStanza = { fields: [], line: lno };
    for (;;) {
      // Field name.
      const fieldStart = pos - 1;
      while (!atEof() && !isSpace(c) && c !== ':' && c !== MSDOS_EOF) c = getc();
      const fieldLen = pos - fieldStart - 1;
      const name = text.slice(fieldStart, fieldStart + fieldLen);
      if (fieldLen === 0) fail('empty field name');
      if (name[0] === '-') fail(`field name '${name}' cannot start with hyphen`);
      while (!atEof() && c !== '\n' && isSpace(c)) c = getc();
      if (atEof()) fail(`end of file after field name '${name}'`);
      if (c === '\n') fail(`newline in field name '${name}'`);
      if (c === MSDOS_EOF) fail(`MSDOS end of file (^Z) in field name '${name}'`);
      if (c !== ':') fail(`field name '${name}' must be followed by colon`);

      // Blanks after the colon, before the value or the end of line.
      while (!atEof()) {
        c = getc();
        if (c === '\n' || !isSpace(c)) break;
      }
      if (atEof()) fail(`end of file before value of field '${name}' (missing final newline)`);
      if (c === MSDOS_EOF) fail(`MSDOS end of file (^Z) in value of field '${name}' (missing newline?)`);

      let blankLine = false;
      const valueStart = pos - 1;
      for (;;) {
        if (c === '\n' || c === MSDOS_EOF) {
          if (blankLine && !options.lax) fail(`blank line in value of field '${name}'`);
          lno++;
          if (atEof()) break;
          c = getc();
          // Double end of line, or the start of a new field.
          if (atEof() || c === '\n' || !isSpace(c)) break;
          pos--; // parse_ungetc()
          blankLine = true;
        } else if (blankLine && !isSpace(c)) {
          blankLine = false;
        }
        if (atEof()) fail(`end of file during value of field '${name}' (missing final newline)`);
        c = getc();
      }
      let valueLen = pos - valueStart - 1;
      while (valueLen > 0 && isSpace(text[valueStart + valueLen - 1])) valueLen--;
      stanza.fields.push({ name, value: text.slice(valueStart, valueStart + valueLen) });

      if (atEof() || c === '\n' || c === MSDOS_EOF) break;
    }
    if (c === '\n') lno++;
    stanzas.push(stanza);
    if (atEof()) break;
  }
  return stanzas;
}
