// Release dates — the RFC 1123 / RFC 822 times of a Release's Date and Valid-Until, as apt reads them
// (apt-pkg/contrib/strutl.cc RFC1123StrToTime).

const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

function utc(year: number, month: string, day: number, time: string): number | undefined {
  const mon = MONTHS.indexOf(month.toLowerCase());
  const t = /^(\d{1,2}):(\d{2}):(\d{2})$/.exec(time);
  if (mon < 0 || t === null || day < 1 || day > 31) return undefined;
  const [h, m, s] = [Number(t[1]), Number(t[2]), Number(t[3])];
  if (h > 23 || m > 59 || s > 60) return undefined;
  const ms = Date.UTC(year, mon, day, h, m, s);
  // Date.UTC rolls 31 Feb over into March; strptime refuses it.
  return new Date(ms).getUTCDate() === day ? ms : undefined;
}

/**
 * Parses a Release time into milliseconds since the epoch, or `undefined` when apt would not
 * accept it. Accepted, as apt accepts them: `Sun, 06 Nov 1994 08:49:37 UTC` (zone `UTC`, `GMT`,
 * `Z` or a numeric zero offset such as `+0000`) and asctime's `Sun Nov  6 08:49:37 1994`.
 * Other offsets are refused, as apt refuses them: the archive writes UTC.
 *
 * @example
 * parseReleaseTime('Sat, 10 Jun 2023 08:54:40 UTC') // 1686387280000
 */
export function parseReleaseTime(text: string): number | undefined {
  const words = text.trim().split(/\s+/);
  const weekday = (words[0] ?? '').toLowerCase();
  if (!WEEKDAYS.includes(weekday.slice(0, 3))) return undefined;
  if (weekday.length === 4 && weekday.endsWith(',') && words.length === 6) {
    const [, day, month, year, time, zone] = words as [string, string, string, string, string, string];
    if (!/^\d{1,2}$/.test(day) || !/^\d{4}$/.test(year)) return undefined;
    if (!/^(GMT|UTC|Z)$/.test(zone) && !/^[+-]?0+$/.test(zone)) return undefined;
    return utc(Number(year), month, Number(day), time);
  }
  if (weekday.length === 3 && words.length === 5) {
    const [, month, day, time, year] = words as [string, string, string, string, string];
    if (!/^\d{1,2}$/.test(day) || !/^\d{4}$/.test(year)) return undefined;
    return utc(Number(year), month, Number(day), time);
  }
  return undefined;
}
