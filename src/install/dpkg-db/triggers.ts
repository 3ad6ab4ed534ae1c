// Trigger files of the dpkg database — dpkg 1.21.23 `lib/dpkg/triglib.c` (trig_parse_ci,
// trig_classify_byname, the interest files) and `lib/dpkg/trigdeferred.c` (Unincorp).
//
// Formats, as dpkg reads and writes them (every line must end in `\n`: fgets_checked):
// - a package's `triggers` control file: `interest[-await|-noawait] NAME` and
//   `activate[-await|-noawait] NAME` lines; blanks around, `#` comments and empty lines
//   skipped; a directive without a name, or an unknown one, is an error;
// - a trigger NAME starting with `/` is a file trigger (no `//`, no trailing `/`); a
//   name that is a legal package name without `_` is an explicit trigger; anything
//   else is "unknown": an error as an interest, ignored as an activation;
// - `triggers/File`: `PATH PKG[/noawait]` per file-trigger interest, in the order the
//   interests were added (a re-added interest moves to the end); removed when empty;
// - `triggers/NAME` (explicit trigger NAME): `PKG[/noawait]` per interested package,
//   order of addition; removed when empty;
// - `triggers/Unincorp`: `TRIGGER AWAITER...` lines written by dpkg-trigger, `-` for
//   "no awaiter"; dpkg reads it after every maintainer script and leaves it empty;
// - PKG is `name`, or `name:arch` for Multi-Arch: same (pnaw_same).

import { packageNameProblem } from './relation-field.js';
import { isSpace } from './stanza.js';
import { triggerNameProblem } from './package.js';

/** trig_parse_ci() line limit: MAXTRIGDIRECTIVE (256) bytes including the newline and NUL. */
const MAX_TRIGGER_DIRECTIVE = 256;

export interface TriggerDirective {
  kind: 'interest' | 'activate';
  name: string;
  /** false for the `-noawait` forms. */
  await: boolean;
}

export class TriggerFileError extends Error {}

/** Splits a file into lines the way fgets_checked() does: each must end in `\n`. */
function checkedLines(text: string, max: number, file: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines.pop() !== '') throw new TriggerFileError(`too-long line or missing newline in '${file}'`);
  for (const l of lines) if (l.length + 1 > max - 1) throw new TriggerFileError(`too-long line or missing newline in '${file}'`);
  return lines;
}

/**
 * trig_parse_ci(): a package's `triggers` control file.
 *
 * @example
 * parseTriggersControl('interest-noawait ldconfig\n', 'triggers')
 * // [{ kind: 'interest', name: 'ldconfig', await: false }]
 */
export function parseTriggersControl(text: string, file: string): TriggerDirective[] {
  const out: TriggerDirective[] = [];
  for (const line of checkedLines(text, MAX_TRIGGER_DIRECTIVE, file)) {
    let start = 0;
    while (isSpace(line[start])) start++;
    if (line[start] === '#') continue;
    let end = line.length;
    while (end > start && isSpace(line[end - 1])) end--;
    if (end === start) continue;
    const body = line.slice(start, end);
    let spc = 0;
    while (spc < body.length && !isSpace(body[spc])) spc++;
    if (spc === body.length) throw new TriggerFileError('triggers ci file contains unknown directive syntax');
    const cmd = body.slice(0, spc);
    let nameStart = spc + 1;
    while (isSpace(body[nameStart])) nameStart++;
    const name = body.slice(nameStart);
    let directive: TriggerDirective;
    switch (cmd) {
      case 'interest':
      case 'interest-await':
        directive = { kind: 'interest', name, await: true };
        break;
      case 'interest-noawait':
        directive = { kind: 'interest', name, await: false };
        break;
      case 'activate':
      case 'activate-await':
        directive = { kind: 'activate', name, await: true };
        break;
      case 'activate-noawait':
        directive = { kind: 'activate', name, await: false };
        break;
      default:
        throw new TriggerFileError(`triggers ci file contains unknown directive '${cmd}'`);
    }
    const why = triggerNameProblem(name);
    if (why !== undefined) throw new TriggerFileError(`triggers ci file '${file}' contains illegal trigger syntax in trigger name '${name}': ${why}`);
    out.push(directive);
  }
  return out;
}

export type TriggerKind = 'file' | 'explicit' | 'unknown';

/** trig_classify_byname(). */
export function classifyTrigger(name: string): TriggerKind {
  if (name.startsWith('/')) {
    let slash = 0;
    while (slash >= 0) {
      const next = name[slash + 1];
      if (next === undefined || next === '/') return 'unknown';
      slash = name.indexOf('/', slash + 2);
    }
    return 'file';
  }
  return packageNameProblem(name) === undefined && !name.includes('_') ? 'explicit' : 'unknown';
}

/** trig_parse_trigger_options(): `NAME[/await|/noawait]`; unknown options mean await. */
export function splitTriggerOptions(spec: string): { name: string; await: boolean } {
  const slash = spec.indexOf('/');
  if (slash < 0) return { name: spec, await: true };
  return { name: spec.slice(0, slash), await: spec.slice(slash + 1) !== 'noawait' };
}

/** One interest in a trigger interest file (File, or triggers/NAME). */
export interface Interest {
  /** The package spec as written (`name` or `name:arch`). */
  pkg: string;
  await: boolean;
}

/** A `triggers/NAME` file: one `PKG[/noawait]` line per interested package. */
export function parseExplicitInterests(text: string, file: string): Interest[] {
  return checkedLines(text, 1024, file).map((line) => {
    const { name, await: aw } = splitTriggerOptions(line);
    return { pkg: name, await: aw };
  });
}

export function formatExplicitInterests(interests: readonly Interest[]): string {
  return interests.map((i) => `${i.pkg}${i.await ? '' : '/noawait'}\n`).join('');
}

/** A `triggers/File` entry. */
export interface FileInterest extends Interest {
  path: string;
}

/** trig_file_interests_ensure(): `triggers/File`. */
export function parseFileInterests(text: string, file: string): FileInterest[] {
  return checkedLines(text, 1024, file).map((line) => {
    const space = line.indexOf(' ');
    if (space < 0 || line[0] !== '/') throw new TriggerFileError(`syntax error in file triggers file '${file}'`);
    const { name, await: aw } = splitTriggerOptions(line.slice(space + 1));
    return { path: line.slice(0, space), pkg: name, await: aw };
  });
}

export function formatFileInterests(interests: readonly FileInterest[]): string {
  return interests.map((i) => `${i.path} ${i.pkg}${i.await ? '' : '/noawait'}\n`).join('');
}

/** One `Unincorp` line: a trigger and the packages awaiting it (`-`: none). */
export interface DeferredActivation {
  trigger: string;
  awaiters: string[];
}

const isLowerDigit = (c: string) => (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z');

/**
 * trigdef_parse(): `triggers/Unincorp`. Lines are read with a _POSIX2_LINE_MAX (2048)
 * buffer; a line without a trigger or with bad package names is an error.
 *
 * @example
 * parseUnincorp('ldconfig libc6 -\n') // [{ trigger: 'ldconfig', awaiters: ['libc6', '-'] }]
 */
export function parseUnincorp(text: string, file: string): DeferredActivation[] {
  const out: DeferredActivation[] = [];
  // fgets_checked() with a 2048-byte buffer; a last line without newline is an error too.
  const lines = checkedLines(text, 2048, file);
  // `while (fgets_checked(...) > 0)`: an empty line ends the file for dpkg.
  const end = lines.indexOf('');
  (end < 0 ? lines : lines.slice(0, end)).forEach((line, index) => {
    const fail = (at: number) => new TriggerFileError(`syntax error in triggers deferred file '${file}' at line ${index + 1} character ${at + 1} '${line.slice(at)}'`);
    let p = 0;
    while (isSpace(line[p])) p++;
    if (p === line.length || line[p] === '#') return;
    const start = p;
    while (p < line.length) {
      const code = line.charCodeAt(p);
      if (code < 0x21 || code > 0x7e) break;
      p++;
    }
    if (p === line.length || p === start) throw fail(p);
    const trigger = line.slice(start, p);
    p++;
    const awaiters: string[] = [];
    while (p < line.length) {
      while (isSpace(line[p])) p++;
      const nameStart = p;
      const c = line[p] ?? '';
      if (c === '' || !(isLowerDigit(c) || c === '-')) throw fail(p);
      p++;
      while (p < line.length && (isLowerDigit(line[p]!) || '-:+.'.includes(line[p]!))) p++;
      if (p < line.length && line[p] !== '#' && !isSpace(line[p])) throw fail(p);
      const name = line.slice(nameStart, p);
      p++;
      if (name[0] === '-' && name.length > 1) throw new TriggerFileError(`invalid package name '${name}' in triggers deferred file '${file}'`);
      awaiters.push(name);
    }
    out.push({ trigger, awaiters });
  });
  return out;
}
