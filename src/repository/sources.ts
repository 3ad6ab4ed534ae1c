// Package sources — apt's sources.list(5) one-line and deb822 forms, and mirror arguments.

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CrossrootError } from '../errors.js';
import { parseDeb822 } from '../formats/deb822/parse.js';

/** One archive location: a base URI, one suite, its components, and how to trust it. */
export interface SourceEntry {
  uri: string;
  suite: string;
  components: string[];
  /** `[trusted=yes]`: no signature check for this source alone (digests are still checked). */
  trusted: boolean;
  /** `[signed-by=...]` / `Signed-By:` keyring path(s), when given. */
  signedBy: string | undefined;
  /** `[arch=...]` / `Architectures:` restriction, when given. */
  architectures: string[] | undefined;
  /** `[check-valid-until=no]` / `Check-Valid-Until: no`: this source's Valid-Until is not enforced. Unset = yes. */
  checkValidUntil?: boolean;
  /** `[check-date=no]` / `Check-Date: no`: no time checks at all for this source (apt: neither future Date nor Valid-Until). Unset = yes. */
  checkDate?: boolean;
  /** `[date-max-future=SECONDS]` / `Date-Max-Future:`: how far ahead of the clock its Date may be (apt's default 10). */
  dateMaxFuture?: number;
  /** A suite the archive may lack (SUITE-updates/-security chosen by default): skipped if absent. */
  optional?: boolean;
}

function options(text: string): Record<string, string> {
  const o: Record<string, string> = {};
  for (const kv of text.trim().split(/\s+/).filter(Boolean)) {
    const eq = kv.indexOf('=');
    if (eq > 0) o[kv.slice(0, eq).replace(/[+-]$/, '').toLowerCase()] = kv.slice(eq + 1);
  }
  return o;
}

function yes(v: string | undefined): boolean {
  return v !== undefined && /^(yes|true|1)$/i.test(v);
}

/** apt's yes/no option values (StringToBool); unset or unknown = undefined, apt's TRI_UNSET. */
function triState(v: string | undefined): boolean | undefined {
  if (v === undefined) return undefined;
  if (/^(yes|true|with|on|enable|1)$/i.test(v.trim())) return true;
  if (/^(no|false|without|off|disable|0)$/i.test(v.trim())) return false;
  return undefined;
}

function seconds(v: string | undefined, file: string | undefined, line?: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v.trim())) throw new CrossrootError('REPO_SOURCES', `date-max-future takes seconds, not ${JSON.stringify(v)}`, { file, line });
  return Number(v.trim());
}

/** The freshness options of a source, only those given (so a spread leaves the others unset). */
function freshness(get: (name: string) => string | undefined, file: string | undefined, line?: number): Partial<SourceEntry> {
  const out: Partial<SourceEntry> = {};
  const cvu = triState(get('check-valid-until'));
  const cd = triState(get('check-date'));
  const dmf = seconds(get('date-max-future'), file, line);
  if (cvu !== undefined) out.checkValidUntil = cvu;
  if (cd !== undefined) out.checkDate = cd;
  if (dmf !== undefined) out.dateMaxFuture = dmf;
  return out;
}

/**
 * Parses one-line sources.list text (`deb [opts] URI SUITE COMP...`); `deb-src` and comments
 * are skipped.
 *
 * @example
 * parseSourcesList('deb [trusted=yes] file:///srv/mirror bookworm main')[0]!.trusted // true
 * parseSourcesList('deb [check-valid-until=no] http://archive.example/debian sid main')[0]!.checkValidUntil // false
 */
export function parseSourcesList(text: string, file?: string): SourceEntry[] {
  const out: SourceEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') return;
    const m = /^(deb|deb-src)\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)((?:\s+\S+)*)$/.exec(line);
    if (m === null) throw new CrossrootError('REPO_SOURCES', `malformed sources line ${JSON.stringify(line)}`, { file, line: i + 1 });
    if (m[1] !== 'deb') return;
    const o = options(m[2] ?? '');
    out.push({
      uri: m[3]!,
      suite: m[4]!,
      components: (m[5] ?? '').trim().split(/\s+/).filter(Boolean),
      trusted: yes(o.trusted),
      signedBy: o['signed-by'],
      architectures: o.arch?.split(','),
      ...freshness((n) => o[n], file, i + 1),
    });
  });
  return out;
}

/** Parses deb822 `.sources` text (sources.list(5) "DEB822-STYLE FORMAT"). */
export function parseDeb822Sources(text: string, file?: string): SourceEntry[] {
  const out: SourceEntry[] = [];
  for (const p of parseDeb822(text, { file })) {
    if (p.has('Enabled') && !yes(p.get('Enabled'))) continue;
    const types = (p.get('Types') ?? '').split(/\s+/);
    if (!types.includes('deb')) continue;
    const words = (n: string) => (p.get(n) ?? '').split(/\s+/).filter(Boolean);
    const signed = p.get('Signed-By');
    for (const uri of words('URIs')) {
      for (const suite of words('Suites')) {
        out.push({
          uri,
          suite,
          components: words('Components'),
          trusted: yes(p.get('Trusted')),
          // An inline key block (a multi-line value) is not a path; leave it to the default keyring.
          signedBy: signed !== undefined && !signed.includes('\n') ? signed.trim() : undefined,
          architectures: p.has('Architectures') ? words('Architectures') : undefined,
          // deb822 names them Check-Valid-Until, Check-Date, Date-Max-Future (sources.list(5)).
          ...freshness((n) => p.get(n), file),
        });
      }
    }
  }
  return out;
}

/**
 * The `deb` sources of the host's apt configuration: `/etc/apt/sources.list`, then
 * `sources.list.d/*.list` and `*.sources` in name order (apt ignores other extensions).
 */
export async function hostSources(etcApt = '/etc/apt'): Promise<SourceEntry[]> {
  const out: SourceEntry[] = [];
  const main = join(etcApt, 'sources.list');
  const text = await readFile(main, 'utf8').catch(() => undefined);
  if (text !== undefined) out.push(...parseSourcesList(text, main));
  const dir = join(etcApt, 'sources.list.d');
  const names = (await readdir(dir).catch(() => [] as string[])).sort();
  for (const name of names) {
    const file = join(dir, name);
    if (name.endsWith('.list')) out.push(...parseSourcesList(await readFile(file, 'utf8'), file));
    else if (name.endsWith('.sources')) out.push(...parseDeb822Sources(await readFile(file, 'utf8'), file));
  }
  return out;
}

/**
 * A mirror argument as mmdebstrap takes it: a `deb ...` line, a URI (`http://`, `https://`,
 * `file://`), or an absolute path (a local mirror directory, read as `file://`).
 */
export function parseMirrorArgument(arg: string, suite: string, components: string[]): SourceEntry[] {
  const text = arg.trim();
  if (/^deb(-src)?\s/.test(text)) return parseSourcesList(text);
  let uri = text;
  if (uri.startsWith('/')) uri = `file://${uri}`;
  if (!/^(https?|file|copy):\/\//.test(uri)) {
    throw new CrossrootError('USAGE_MIRROR', `mirror ${JSON.stringify(arg)} is neither a URI, a path nor a "deb ..." line`);
  }
  return [{ uri, suite, components, trusted: false, signedBy: undefined, architectures: undefined }];
}

/** The suites that belong to SUITE's family on a stable release: SUITE, -updates, -security. */
export function suiteFamily(suite: string): string[] {
  return [suite, `${suite}-updates`, `${suite}-security`];
}

function baseSuite(suite: string): string {
  return suite.replace(/-(updates|security|backports|proposed-updates)$/, '');
}

/**
 * The sources for SUITE when no mirror is given: the host's apt entries of SUITE's family
 * (SUITE, SUITE-updates, SUITE-security); when the host tracks another suite, its entries of
 * its own family with that suite replaced by SUITE (so a bookworm host builds trixie from the
 * same mirrors). Backports are never taken. `optional` marks the -updates/-security entries,
 * which an archive may lack (unstable has neither).
 */
export function sourcesForSuite(host: SourceEntry[], suite: string, components: string[] | undefined): SourceEntry[] {
  const debs = host.filter((e) => !/-(backports|proposed-updates)$/.test(e.suite));
  const family = new Set(suiteFamily(suite));
  let chosen = debs.filter((e) => family.has(e.suite));
  if (!chosen.some((e) => e.suite === suite)) {
    const first = debs.find((e) => baseSuite(e.suite) === e.suite);
    if (first === undefined) return [];
    const hostSuite = first.suite;
    chosen = debs
      .filter((e) => baseSuite(e.suite) === hostSuite)
      .map((e) => ({ ...e, suite: suite + e.suite.slice(hostSuite.length) }));
  }
  const seen = new Set<string>();
  return chosen
    .map((e) => ({ ...e, components: components ?? e.components, optional: e.suite !== suite }))
    .filter((e) => {
      const key = `${e.uri} ${e.suite}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}
