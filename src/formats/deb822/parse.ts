// deb822 parser — deb822(5), with dpkg's value rules (lib/dpkg/parse.c); streaming by lines.

import { CrossrootError } from '../../errors.js';
import { Paragraph, type Field } from './paragraph.js';

/** Options for error messages: the name of what is being parsed. */
export interface Deb822Options {
  file?: string;
}

/**
 * Incremental deb822 parser: feed text in chunks of any size, collect paragraphs as they
 * complete. Comment lines (`#` in column 0) are skipped, as apt and deb822(5) allow.
 *
 * @example
 * const p = new Deb822Parser({ file: 'Packages' });
 * const paras = [...p.push('Package: a\n\nPackage: b\n'), ...p.end()];
 */
export class Deb822Parser {
  readonly #file: string | undefined;
  #carry = '';
  #lineNo = 0;
  #fields: Field[] = [];
  #names = new Set<string>();
  #start = 0;
  // The field being read: its lines are collected until a non-continuation line arrives.
  #name: string | undefined;
  #valueLines: string[] = [];
  #valueLine = 0;

  constructor(options: Deb822Options = {}) {
    this.#file = options.file;
  }

  /** Feeds a chunk; returns the paragraphs it completed. */
  push(chunk: string): Paragraph[] {
    const out: Paragraph[] = [];
    const text = this.#carry + chunk;
    let pos = 0;
    for (;;) {
      const nl = text.indexOf('\n', pos);
      if (nl < 0) break;
      this.#line(text.slice(pos, nl), out);
      pos = nl + 1;
    }
    this.#carry = text.slice(pos);
    return out;
  }

  /** Ends the input; returns the last paragraph if the text did not end with a blank line. */
  end(): Paragraph[] {
    const out: Paragraph[] = [];
    if (this.#carry !== '') {
      this.#line(this.#carry, out);
      this.#carry = '';
    }
    this.#finishParagraph(out);
    return out;
  }

  #error(detail: string, line: number): CrossrootError {
    return new CrossrootError('FORMAT_DEB822', detail, { file: this.#file, line });
  }

  #line(raw: string, out: Paragraph[]): void {
    this.#lineNo++;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.startsWith('#')) return;
    if (/^[ \t]*$/.test(line)) {
      this.#finishParagraph(out);
      return;
    }
    if (line[0] === ' ' || line[0] === '\t') {
      if (this.#name === undefined) throw this.#error('continuation line outside a field', this.#lineNo);
      this.#valueLines.push(line);
      return;
    }
    this.#finishField();
    const colon = line.indexOf(':');
    if (colon <= 0) throw this.#error(`line is not a field ("Name: value"): ${JSON.stringify(line.slice(0, 60))}`, this.#lineNo);
    const name = line.slice(0, colon);
    if (/[\s]/.test(name)) throw this.#error(`bad field name ${JSON.stringify(name)}`, this.#lineNo);
    const key = name.toLowerCase();
    if (this.#names.has(key)) throw this.#error(`duplicate field ${name}`, this.#lineNo);
    this.#names.add(key);
    if (this.#fields.length === 0) this.#start = this.#lineNo;
    this.#name = name;
    this.#valueLine = this.#lineNo;
    this.#valueLines = [line.slice(colon + 1).replace(/^[ \t]+/, '')];
  }

  #finishField(): void {
    if (this.#name === undefined) return;
    const value = this.#valueLines.join('\n').replace(/\s+$/, '');
    this.#fields.push({ name: this.#name, value, line: this.#valueLine });
    this.#name = undefined;
    this.#valueLines = [];
  }

  #finishParagraph(out: Paragraph[]): void {
    this.#finishField();
    if (this.#fields.length > 0) out.push(new Paragraph(this.#fields, this.#start));
    this.#fields = [];
    this.#names = new Set();
  }
}

/**
 * Parses a whole deb822 text into paragraphs.
 *
 * @example
 * parseDeb822('Package: dpkg\nVersion: 1.21.22\n')[0]!.get('version') // '1.21.22'
 */
export function parseDeb822(text: string, options: Deb822Options = {}): Paragraph[] {
  const p = new Deb822Parser(options);
  return [...p.push(text), ...p.end()];
}

/** Parses text that must hold exactly one paragraph (a control file). */
export function parseSingleParagraph(text: string, options: Deb822Options = {}): Paragraph {
  const paras = parseDeb822(text, options);
  if (paras.length !== 1) {
    throw new CrossrootError('FORMAT_DEB822', `expected one paragraph, found ${paras.length}`, { file: options.file });
  }
  return paras[0]!;
}

/** Serialises paragraphs as deb822 text, fields in stored order, a blank line between. */
export function formatDeb822(paragraphs: Iterable<Paragraph>): string {
  const out: string[] = [];
  for (const p of paragraphs) {
    for (const f of p.fields()) out.push(f.value === '' ? `${f.name}:\n` : f.value.startsWith('\n') ? `${f.name}:${f.value}\n` : `${f.name}: ${f.value}\n`);
    out.push('\n');
  }
  return out.join('').replace(/\n$/, '');
}
