// Shell words — a special hook's command line split as Perl's Text::ParseWords::shellwords
// splits it for mmdebstrap (1.3.5, 1741): blanks separate, quotes group, backslash escapes.

import { CrossrootError } from '../../errors.js';

/**
 * Splits `line` into words: `'...'` is literal, `"..."` takes `\\"` `\\\\` escapes, a
 * backslash outside quotes escapes the next character. An unterminated quote is a usage error.
 *
 * @example
 * shellWords(`copy-in "my file" /etc`); // ['copy-in', 'my file', '/etc']
 */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new CrossrootError('USAGE_HOOK', `unterminated ' in hook: ${line}`);
      word = (word ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      word ??= '';
      let j = i + 1;
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === '\\' && (line[j + 1] === '"' || line[j + 1] === '\\')) j++;
        word += line[j];
      }
      if (j >= line.length) throw new CrossrootError('USAGE_HOOK', `unterminated " in hook: ${line}`);
      i = j;
    } else if (c === '\\' && i + 1 < line.length) {
      word = (word ?? '') + line[++i];
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}
