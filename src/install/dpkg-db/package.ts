// The in-core package record of the dpkg database — dpkg 1.21.23 `lib/dpkg/dpkg-db.h`
// (struct pkginfo, struct pkgbin), `lib/dpkg/parse.c` (fieldinfos[], pkg_parse_verify)
// and `lib/dpkg/fields.c` (the f_* field parsers).
//
// What dpkg keeps of each known field decides what it writes back (dump.c):
// - Package: lowercased; Essential/Protected: booleans, only `yes` is ever written;
// - Priority: the five known names (any case, canonical lowercase on output), `unknown`
//   is dropped, anything else kept verbatim; Priority and Section belong to the package,
//   not to a version: the latest parsed control file sets them;
// - Multi-Arch: `no` is the default and never written; Architecture kept as written;
// - Installed-Size, Origin, Maintainer, Bugs, Source, Section, Description: kept
//   verbatim, an empty value is dropped (so `Source: x (1.0)` stays as written);
// - Version, Config-Version, relationship fields: reparsed and reprinted (version.ts,
//   relation-field.ts);
// - Filename, Size, MD5sum, MSDOS-Filename: `available` only — never in `status`;
// - obsolete fields are remapped (Recommended → Recommends, Optional → Suggests,
//   Class → Priority, Revision/Package-Revision → the version's revision) and vanish;
// - Status, Config-Version, Conffiles, Triggers-Pending/-Awaited are the database's
//   own: refused in a .deb's control file (pdb_rejectstatus); Conffiles in a control
//   file is parsed and then replaced at unpack time;
// - any other field ("arbitrary" field) is kept with its name as written and its value
//   verbatim — even empty — in file order, after all known fields.

import { CrossrootError } from '../../errors.js';
import { parseRelationField, packageNameProblem, archNameProblem, RELATION_FIELDS, type DbRelation, type FieldProblem, type RelationField } from './relation-field.js';
import { isSpace, type RawStanza } from './stanza.js';
import { parseDbVersion, type DbVersion } from './version.js';

export type Want = 'unknown' | 'install' | 'hold' | 'deinstall' | 'purge';
export type EFlag = 'ok' | 'reinstreq';
/** enum pkgstatus, in dpkg's order: comparisons below follow it. */
export const STATUSES = ['not-installed', 'config-files', 'half-installed', 'unpacked', 'half-configured', 'triggers-awaited', 'triggers-pending', 'installed'] as const;
export type PkgStatus = (typeof STATUSES)[number];
export type MultiArch = 'no' | 'same' | 'allowed' | 'foreign';

/** The rank of a status in enum pkgstatus, for dpkg's `<`/`>` comparisons. */
export function rank(s: PkgStatus): number {
  return STATUSES.indexOf(s);
}

const WANTS: readonly Want[] = ['unknown', 'install', 'hold', 'deinstall', 'purge'];
const EFLAGS: readonly EFlag[] = ['ok', 'reinstreq'];
const MULTIARCHS: readonly MultiArch[] = ['no', 'same', 'allowed', 'foreign'];
const BOOLEANS = ['no', 'yes'] as const;
/** priorityinfos[]: `unknown` is PKG_PRIO_UNKNOWN, never written. */
const PRIORITIES = ['required', 'important', 'standard', 'optional', 'extra', 'unknown'] as const;

/** One entry of the Conffiles field. */
export interface Conffile {
  /** Normalised: one leading `/`. */
  name: string;
  /** An md5sum, or `newconffile` (unpacked, not configured yet), or `-`. */
  hash: string;
  obsolete: boolean;
  removeOnUpgrade: boolean;
}

/** An arbitrary (unknown) field, kept as written. */
export interface ArbitraryField {
  name: string;
  value: string;
}

/** struct pkgbin: one version's data (the installed one, or the one being unpacked). */
export interface PkgBin {
  essential: boolean;
  protected: boolean;
  multiarch: MultiArch;
  description?: string;
  maintainer?: string;
  source?: string;
  /** undefined: none (DPKG_ARCH_NONE); '': the empty architecture. */
  arch?: string;
  installedSize?: string;
  origin?: string;
  bugs?: string;
  version?: DbVersion;
  relations: DbRelation[];
  conffiles: Conffile[];
  arbs: ArbitraryField[];
}

export function blankPkgBin(): PkgBin {
  return { essential: false, protected: false, multiarch: 'no', relations: [], conffiles: [], arbs: [] };
}

export function clonePkgBin(b: PkgBin): PkgBin {
  return { ...b, relations: [...b.relations], conffiles: b.conffiles.map((c) => ({ ...c })), arbs: [...b.arbs] };
}

/** What one parsed stanza holds (a control file, or a status/update record). */
export interface ParsedStanza {
  name: string;
  bin: PkgBin;
  section?: string;
  /** Canonical known priority, or another word verbatim; undefined when none/unknown. */
  priority?: string;
  want: Want;
  eflag: EFlag;
  status: PkgStatus;
  configVersion?: DbVersion;
  /** Triggers-Pending, in file order (dpkg reverses it in memory, see database.ts). */
  triggersPending: string[];
  /** Triggers-Awaited package specs, in file order. */
  triggersAwaited: string[];
  /** Whether the stanza had a Status field. */
  hasStatus: boolean;
}

export interface ParseStanzaOptions {
  file: string;
  /** 'binary': a .deb's control file; 'status': the status file; 'update': a journal record. */
  kind: 'binary' | 'status' | 'update';
  /** Warnings are reported here; errors throw. */
  onWarning?: (message: string) => void;
}

type Handler = (p: ParsedStanza, value: string, ctx: FieldContext) => void;

interface FieldContext {
  fieldName: string;
  problems: FieldProblem[];
  opts: ParseStanzaOptions;
  lax: boolean;
}

/** parse_nv(): a case-insensitive *prefix* match, then nothing but blanks may follow. */
function parseNameValue<T extends string>(value: string, names: readonly T[], what: string, fallback: boolean, next = false): { match?: T; rest: string } {
  if (value === '') throw new Error(`${what} is missing a value`);
  const lower = value.toLowerCase();
  const match = names.find((n) => lower.startsWith(n));
  if (match === undefined) {
    if (!fallback) throw new Error(`${what} has invalid value '${value.slice(0, 50)}'`);
    return { rest: '' };
  }
  let end = match.length;
  while (isSpace(value[end])) end++;
  const rest = value.slice(end);
  if (!next && rest !== '') throw new Error(`${what} has trailing junk`);
  return { match, rest };
}

function charField(set: (p: ParsedStanza, v: string) => void): Handler {
  return (p, v) => {
    if (v !== '') set(p, v);
  };
}

function rejectInControl(ctx: FieldContext): void {
  if (ctx.opts.kind === 'binary') throw new Error(`value for '${ctx.fieldName}' field not allowed in this context`);
}

function versionField(value: string, ctx: FieldContext): DbVersion {
  const parsed = parseDbVersion(value);
  if (parsed.problem !== undefined) {
    const message = `'${ctx.fieldName}' field value '${value.slice(0, 250)}': ${parsed.problem.message}`;
    if (parsed.problem.severity === 'error' || !ctx.lax) throw new Error(message);
    ctx.opts.onWarning?.(message);
  }
  return parsed.version;
}

function booleanField(value: string, ctx: FieldContext): boolean | undefined {
  if (value === '') return undefined;
  const { match } = parseNameValue(value, BOOLEANS, `boolean (yes/no) '${ctx.fieldName}' field:`, false);
  return match === 'yes';
}

function priorityField(p: ParsedStanza, value: string, ctx: FieldContext): void {
  if (value === '') return;
  const { match } = parseNameValue(value, PRIORITIES, `word in '${ctx.fieldName}' field:`, true);
  p.priority = match === undefined ? value : match === 'unknown' ? undefined : match;
}

function relation(field: RelationField): Handler {
  return (p, value, ctx) => {
    parseRelationField(field, value, p.bin.relations, ctx.problems, ctx.lax);
  };
}

/** fieldinfos[] of parse.c, keyed by lowercased name. Order of output lives in dump.ts. */
const HANDLERS: ReadonlyMap<string, Handler> = new Map<string, Handler>([
  [
    'package',
    (p, v, ctx) => {
      const why = packageNameProblem(v);
      if (why !== undefined) throw new Error(`invalid package name in '${ctx.fieldName}' field: ${why}`);
      p.name = v.toLowerCase();
    },
  ],
  ['essential', (p, v, ctx) => void (p.bin.essential = booleanField(v, ctx) ?? p.bin.essential)],
  ['protected', (p, v, ctx) => void (p.bin.protected = booleanField(v, ctx) ?? p.bin.protected)],
  [
    'status',
    (p, v, ctx) => {
      rejectInControl(ctx);
      const want = parseNameValue(v, WANTS, `first (want) word in '${ctx.fieldName}' field:`, false, true);
      const eflag = parseNameValue(want.rest, EFLAGS, `second (error) word in '${ctx.fieldName}' field:`, false, true);
      const status = parseNameValue(eflag.rest, STATUSES, `third (status) word in '${ctx.fieldName}' field:`, false);
      p.want = want.match!;
      p.eflag = eflag.match!;
      p.status = status.match!;
      p.hasStatus = true;
    },
  ],
  ['priority', priorityField],
  ['section', charField((p, v) => (p.section = v))],
  ['installed-size', charField((p, v) => (p.bin.installedSize = v))],
  ['origin', charField((p, v) => (p.bin.origin = v))],
  ['maintainer', charField((p, v) => (p.bin.maintainer = v))],
  ['bugs', charField((p, v) => (p.bin.bugs = v))],
  [
    'architecture',
    (p, v, ctx) => {
      p.bin.arch = v;
      if (v !== '' && archNameProblem(v) !== undefined) ctx.opts.onWarning?.(`'${v}' is not a valid architecture name in '${ctx.fieldName}' field: ${archNameProblem(v)}`);
    },
  ],
  [
    'multi-arch',
    (p, v, ctx) => {
      if (v === '') return;
      p.bin.multiarch = parseNameValue(v, MULTIARCHS, `quadstate (foreign/allowed/same/no) '${ctx.fieldName}' field:`, false).match!;
    },
  ],
  ['source', charField((p, v) => (p.bin.source = v))],
  ['version', (p, v, ctx) => void (p.bin.version = versionField(v, ctx))],
  [
    'config-version',
    (p, v, ctx) => {
      rejectInControl(ctx);
      p.configVersion = versionField(v, ctx);
    },
  ],
  ...RELATION_FIELDS.map((f) => [f.toLowerCase(), relation(f)] as [string, Handler]),
  ['conffiles', (p, v, ctx) => void (p.bin.conffiles = parseConffilesField(v, ctx.fieldName))],
  // w_archives() writes these for `available` only: parsed and dropped here.
  ['filename', () => {}],
  ['size', () => {}],
  ['md5sum', () => {}],
  ['msdos-filename', () => {}],
  ['description', charField((p, v) => (p.bin.description = v))],
  [
    'triggers-pending',
    (p, v, ctx) => {
      rejectInControl(ctx);
      for (const word of v.split(/[ \t\n\v\f\r]+/).filter((w) => w !== '')) {
        if (p.triggersPending.includes(word)) throw new Error(`duplicate pending trigger '${word}'`);
        const why = triggerNameProblem(word);
        if (why !== undefined) throw new Error(`illegal pending trigger name '${word}': ${why}`);
        p.triggersPending.push(word);
      }
    },
  ],
  [
    'triggers-awaited',
    (p, v, ctx) => {
      rejectInControl(ctx);
      for (const word of v.split(/[ \t\n\v\f\r]+/).filter((w) => w !== '')) {
        if (p.triggersAwaited.includes(word)) throw new Error(`duplicate awaited trigger package '${word}'`);
        p.triggersAwaited.push(word);
      }
    },
  ],
  // Obsolete fields, remapped to their modern forms (and never written back).
  ['recommended', (p, v, ctx) => obsolete(ctx, () => parseRelationField('Recommends', v, p.bin.relations, ctx.problems, ctx.lax))],
  ['optional', (p, v, ctx) => obsolete(ctx, () => parseRelationField('Suggests', v, p.bin.relations, ctx.problems, ctx.lax))],
  ['class', (p, v, ctx) => obsolete(ctx, () => priorityField(p, v, ctx))],
  ['revision', (p, v, ctx) => obsolete(ctx, () => obsoleteRevision(p, v))],
  ['package-revision', (p, v, ctx) => obsolete(ctx, () => obsoleteRevision(p, v))],
  ['package_revision', (p, v, ctx) => obsolete(ctx, () => obsoleteRevision(p, v))],
]);

function obsolete(ctx: FieldContext, then: () => void): void {
  ctx.opts.onWarning?.(`obsolete '${ctx.fieldName}' field used`);
  then();
}

function obsoleteRevision(p: ParsedStanza, value: string): void {
  if (value === '') return;
  const v = p.bin.version ?? { epoch: 0, upstream: '', revision: '' };
  if (v.revision !== '') v.upstream = `${v.upstream}-${v.revision}`;
  v.revision = value;
  p.bin.version = v;
}

/** trig_name_is_illegal(): no blanks, no control or non-ASCII characters. */
export function triggerNameProblem(name: string): string | undefined {
  if (name === '') return 'empty trigger names are not permitted';
  for (const c of name) {
    const code = c.charCodeAt(0);
    if (code <= 0x20 || code >= 0o177) return 'trigger name contains invalid character';
  }
  return undefined;
}

/** f_conffiles(): ` NAME HASH [obsolete] [remove-on-upgrade]` lines. */
function parseConffilesField(value: string, fieldName: string): Conffile[] {
  const out: Conffile[] = [];
  for (const line of value.split('\n')) {
    if (line === '') continue;
    if (line[0] !== ' ') throw new Error(`value for '${fieldName}' field has line starting with non-space '${line[0]}'`);
    const words = line.slice(1);
    // conffvalue_lastword(): the word after the last single space before `from`.
    const lastWord = (from: number): [number, string] => {
      const space = words.lastIndexOf(' ', from - 1);
      if (from <= 1 || space <= 1 || space >= words.length - 1) {
        throw new Error(`value for '${fieldName}' field has malformed line '${words.slice(0, 250)}'`);
      }
      return [space, words.slice(space + 1, from)];
    };
    let [endName, hash] = lastWord(words.length);
    let removeOnUpgrade = false;
    let obsoleteFlag = false;
    if (hash === 'remove-on-upgrade') {
      removeOnUpgrade = true;
      [endName, hash] = lastWord(endName);
    }
    if (hash === 'obsolete') {
      obsoleteFlag = true;
      [endName, hash] = lastWord(endName);
    }
    const name = words.slice(0, endName).replace(/^(\/|\.\/)*/, '');
    if (name === '') throw new Error(`root or empty directory listed as a conffile in '${fieldName}' field`);
    out.push({ name: `/${name}`, hash, obsolete: obsoleteFlag, removeOnUpgrade });
  }
  return out;
}

/**
 * Interprets one raw stanza with dpkg's field table: known fields into their slots
 * (with dpkg's normalisations), the rest as arbitrary fields in order; then the checks
 * of pkg_parse_verify() that can fail.
 *
 * @example
 * const p = parsePackageStanza(parseStanzas(text, { file: 'control' })[0], { file: 'control', kind: 'binary' });
 */
export function parsePackageStanza(stanza: RawStanza, opts: ParseStanzaOptions): ParsedStanza {
  const p: ParsedStanza = {
    name: '',
    bin: blankPkgBin(),
    want: 'unknown',
    eflag: 'ok',
    status: 'not-installed',
    triggersPending: [],
    triggersAwaited: [],
    hasStatus: false,
  };
  const lax = opts.kind !== 'binary';
  const seen = new Set<string>();
  const fail = (message: string, line = stanza.line) => new CrossrootError('INSTALL_DPKGDB_PARSE', message, { file: opts.file, line });
  for (const field of stanza.fields) {
    const key = field.name.toLowerCase();
    const handler = HANDLERS.get(key);
    if (handler !== undefined) {
      if (seen.has(key)) throw fail(`duplicate value for '${canonicalName(key)}' field`);
      seen.add(key);
      const ctx: FieldContext = { fieldName: canonicalName(key), problems: [], opts, lax };
      try {
        handler(p, field.value, ctx);
      } catch (err) {
        if (err instanceof CrossrootError) throw err;
        throw fail((err as Error).message);
      }
      for (const problem of ctx.problems) {
        if (problem.severity === 'error') throw fail(problem.message);
        opts.onWarning?.(problem.message);
      }
      continue;
    }
    if (field.name.length < 2) throw fail(`user-defined field name '${field.name}' too short`);
    if (p.bin.arbs.some((a) => a.name.toLowerCase() === key)) throw fail(`duplicate value for user-defined field '${field.name}'`);
    p.bin.arbs.push({ name: field.name, value: field.value });
  }
  verify(p, opts, fail);
  return p;
}

const CANONICAL = new Map<string, string>(
  [
    'Package', 'Essential', 'Protected', 'Status', 'Priority', 'Section', 'Installed-Size', 'Origin', 'Maintainer', 'Bugs',
    'Architecture', 'Multi-Arch', 'Source', 'Version', 'Config-Version', ...RELATION_FIELDS, 'Conffiles', 'Filename', 'Size',
    'MD5sum', 'MSDOS-Filename', 'Description', 'Triggers-Pending', 'Triggers-Awaited', 'Recommended', 'Optional', 'Class',
    'Revision', 'Package-Revision', 'Package_Revision',
  ].map((n) => [n.toLowerCase(), n]),
);

function canonicalName(key: string): string {
  return CANONICAL.get(key) ?? key;
}

/** The failing checks of pkg_parse_verify(). */
function verify(p: ParsedStanza, opts: ParseStanzaOptions, fail: (m: string) => Error): void {
  if (p.name === '') throw fail("missing 'Package' field");
  // Missing architectures are marked empty, to tell them from unused slots.
  if (p.bin.arch === undefined) p.bin.arch = '';
  const recordAvailable = opts.kind === 'binary';
  if (recordAvailable || (p.status !== 'not-installed' && p.status !== 'half-installed')) {
    if (p.bin.description === undefined) opts.onWarning?.("missing 'Description' field");
    if (p.bin.maintainer === undefined) opts.onWarning?.("missing 'Maintainer' field");
    if (p.bin.version === undefined) throw fail("missing 'Version' field");
    if (p.bin.version.upstream === '' && p.bin.version.epoch === 0 && p.bin.version.revision === '') throw fail("empty value for 'Version' field");
  }
  if (p.bin.arch === '' && p.bin.multiarch === 'same') throw fail("package has 'Multi-Arch: same' field but is missing architecture");
  if (p.bin.arch === 'all' && p.bin.multiarch === 'same') throw fail("package has 'Multi-Arch: same' field but is architecture 'all'");
  if (recordAvailable) return;
  if (p.configVersion !== undefined) {
    if (p.status === 'installed' || p.status === 'not-installed' || p.status === 'triggers-pending') {
      throw fail("'Config-Version' field present for package with inappropriate 'Status' field");
    }
  }
  if (p.triggersAwaited.length > 0 && (rank(p.status) <= rank('config-files') || rank(p.status) >= rank('triggers-pending'))) {
    throw fail(`package has status ${p.status} but triggers are awaited`);
  }
  if (p.status === 'triggers-awaited' && p.triggersAwaited.length === 0) throw fail(`package has status ${p.status} but no triggers awaited`);
  if (p.triggersPending.length > 0 && p.status !== 'triggers-pending' && p.status !== 'triggers-awaited') {
    throw fail(`package has status ${p.status} but triggers are pending`);
  }
  if (p.status === 'triggers-pending' && p.triggersPending.length === 0) throw fail(`package has status ${p.status} but no triggers pending`);
  if (p.status !== 'not-installed') return;
  // A not-installed package cannot have conffiles (an old bug could leave some).
  if (p.bin.conffiles.length > 0) {
    opts.onWarning?.(`package has status ${p.status} and has conffiles, forgetting them`);
    p.bin.conffiles = [];
  }
  if (p.eflag !== 'ok') return;
  // Leftovers of removed packages, and selections without architecture, are forgotten.
  if (p.want === 'purge' || p.want === 'deinstall') p.want = 'unknown';
  if (opts.kind === 'status' && p.want === 'install' && p.bin.arch === '') p.want = 'unknown';
  if (p.want === 'unknown') {
    // pkgbin_blank(): everything but the architecture and Multi-Arch.
    p.bin = { ...blankPkgBin(), arch: p.bin.arch, multiarch: p.bin.multiarch };
  }
}
