// Dependency relation fields — deb-control(5) and deb-src-control(5), as dpkg's lib/dpkg/fields.c and Dpkg::Deps.

import { CrossrootError, type ErrorContext } from '../../errors.js';
import { parseVersion } from './version.js';

/** A version operator as a relation carries it: the obsolete `<` and `>` are read as `<=` and `>=`. */
export type RelationOp = '<<' | '<=' | '=' | '>=' | '>>';

/** The parenthesised part of a relation: `(>= 2.36)`. */
export interface VersionConstraint {
  op: RelationOp;
  /** The version as written (validated with {@link parseVersion}, blanks trimmed). */
  version: string;
}

/** One package in a relation: `name[:arch] [(op version)] [[arch...]] [<profile...>...]`. */
export interface Relation {
  name: string;
  /** Architecture qualifier after `:` — `any`, `native` or a concrete architecture. */
  arch?: string;
  constraint?: VersionConstraint;
  /** Architecture restriction list, `!` kept on negated entries: `['amd64', '!i386']`. */
  archRestrictions?: string[];
  /** Build-profile formulas: each inner list is one `<...>` group (AND), the groups are OR. */
  profiles?: string[][];
}

/** Options for {@link parseRelations}. */
export interface ParseRelationsOptions {
  /** The field name, used in error messages (`Depends: ...`). */
  field?: string;
  /** Where the field comes from (the package, its file), for the error's message. */
  context?: ErrorContext;
}

// Perl's \s, which Dpkg::Deps uses; JavaScript's \s would also take Unicode spaces.
const WS_CHARS = ' \\t\\n\\r\\f\\v';
const WS = `[${WS_CHARS}]`;
const NAME = '[a-zA-Z0-9][a-zA-Z0-9+.-]*';
const ARCH = '[a-zA-Z0-9][a-zA-Z0-9-]*';

// Dpkg::Deps::Simple::parse_string(), with the version text stopping at any whitespace.
const SIMPLE = new RegExp(
  `^(${NAME})` +
    `(?::(${ARCH}))?` +
    `(?:${WS}*\\(${WS}*(<<|<=|>=|>>|=|<|>)${WS}*([^)${WS_CHARS}]+)${WS}*\\))?` +
    `(?:${WS}*\\[${WS}*([^\\]]*?)${WS}*\\])?` +
    `((?:${WS}*<[^>]*>)+)?$`,
);
const WS_RUN = new RegExp(`${WS}+`);
const ARCH_TERM = new RegExp(`^!?${ARCH}$`);
const LEADING_NAME = new RegExp(`^${NAME}`);
const PROFILE_TERM = /^!?[a-zA-Z0-9][a-zA-Z0-9.+_-]*$/;

function splitWords(s: string): string[] {
  return s.split(WS_RUN).filter((w) => w !== '');
}

const EDGE_WS = new RegExp(`^${WS}+|${WS}+$`, 'g');

function trimWs(s: string): string {
  return s.replace(EDGE_WS, '');
}

/**
 * Parses a relation field into an AND-list of OR-lists, as Dpkg::Deps `deps_parse()`
 * reads it: `,` separates requirements, `|` alternatives; each alternative is a package
 * name, an optional `:arch` qualifier, an optional `(op version)`, an optional
 * `[arch ...]` restriction list and optional `<profile ...>` groups, in that order.
 * Whitespace (including the newlines of a folded field) may surround every part except
 * inside `name:arch`. An empty field gives `[]`; one trailing comma is accepted, as in
 * debian/control. The obsolete operators `<` and `>` become `<=` and `>=`.
 *
 * Stricter than Dpkg::Deps where it would accept nonsense: the version must be a valid
 * Debian version, empty alternatives (`a | | b`, `a,,b`) and empty `[]`/`<>` lists are
 * errors.
 *
 * @throws CrossrootError `FORMAT_DEPENDENCY` naming the text that does not parse.
 * @example
 * parseRelations('libc6 (>= 2.36), perl:any | perl-base [amd64 !i386] <!nocheck> <stage1 cross>');
 * // [[{ name: 'libc6', constraint: { op: '>=', version: '2.36' } }],
 * //  [{ name: 'perl', arch: 'any' },
 * //   { name: 'perl-base', archRestrictions: ['amd64', '!i386'], profiles: [['!nocheck'], ['stage1', 'cross']] }]]
 */
export function parseRelations(text: string, options: ParseRelationsOptions = {}): Relation[][] {
  const prefix = options.field !== undefined ? `${options.field}: ` : '';
  const fail = (why: string): CrossrootError => new CrossrootError('FORMAT_DEPENDENCY', prefix + why, options.context);
  const whole = trimWs(text);
  if (whole === '') return [];
  const groups = whole.split(',');
  // One trailing comma is allowed (debian/control style); anything else empty is not.
  if (groups.length > 1 && trimWs(groups[groups.length - 1]!) === '') groups.pop();
  const out: Relation[][] = [];
  for (const group of groups) {
    if (trimWs(group) === '') throw fail(`empty relation in '${whole}'`);
    const alts: Relation[] = [];
    for (const alt of group.split('|')) {
      const one = trimWs(alt);
      if (one === '') throw fail(`empty alternative in '${trimWs(group)}'`);
      alts.push(parseOne(one, fail));
    }
    out.push(alts);
  }
  return out;
}

function parseOne(text: string, fail: (why: string) => CrossrootError): Relation {
  const m = SIMPLE.exec(text);
  if (m === null) throw fail(`cannot parse relation '${text}'${hint(text)}`);
  const [, name, arch, op, version, arches, profiles] = m;
  const rel: Relation = { name: name! };
  if (arch !== undefined) rel.arch = arch;
  if (op !== undefined) {
    try {
      parseVersion(version!);
    } catch (err) {
      const why = err instanceof CrossrootError ? err.detail : String(err);
      throw fail(`bad version in relation '${text}': ${why}`);
    }
    const norm: RelationOp = op === '<' ? '<=' : op === '>' ? '>=' : (op as RelationOp);
    rel.constraint = { op: norm, version: version! };
  }
  if (arches !== undefined) {
    const list = splitWords(arches);
    if (list.length === 0) throw fail(`empty architecture list in relation '${text}'`);
    for (const a of list) {
      if (!ARCH_TERM.test(a)) throw fail(`invalid architecture '${a}' in relation '${text}'`);
    }
    rel.archRestrictions = list;
  }
  if (profiles !== undefined) {
    const groups: string[][] = [];
    for (const g of profiles.matchAll(/<([^>]*)>/g)) {
      const terms = splitWords(g[1]!);
      if (terms.length === 0) throw fail(`empty build profile list in relation '${text}'`);
      for (const t of terms) {
        if (!PROFILE_TERM.test(t)) throw fail(`invalid build profile '${t}' in relation '${text}'`);
      }
      groups.push(terms);
    }
    rel.profiles = groups;
  }
  return rel;
}

// A more specific reason for the common mistakes, in dpkg's words where it has them.
function hint(text: string): string {
  if (!LEADING_NAME.test(text)) return ': missing package name, or garbage where package name expected';
  if (/\([^)]*$/.test(text)) return ': version unterminated';
  if (/\(\s*(<>|><)/.test(text)) return ': bad version relationship';
  if (/\(\s*[^<>=\s]/.test(text)) return ': no relation operator in version constraint';
  if (/^[^:]*:(?![a-zA-Z0-9])/.test(text)) return ': missing architecture name, or garbage where architecture name expected';
  return '';
}

/**
 * Writes one relation in Dpkg::Deps' canonical form:
 * `name[:arch][ (op version)][ [arch ...]][ <profile ...>...]`.
 *
 * @example
 * formatRelation({ name: 'libc6', constraint: { op: '>=', version: '2.36' } }); // 'libc6 (>= 2.36)'
 */
export function formatRelation(rel: Relation): string {
  let s = rel.name;
  if (rel.arch !== undefined) s += `:${rel.arch}`;
  if (rel.constraint !== undefined) s += ` (${rel.constraint.op} ${rel.constraint.version})`;
  if (rel.archRestrictions !== undefined) s += ` [${rel.archRestrictions.join(' ')}]`;
  for (const group of rel.profiles ?? []) s += ` <${group.join(' ')}>`;
  return s;
}

/**
 * Writes a relation field in canonical form: requirements joined by `, `, alternatives by
 * ` | `, each as {@link formatRelation} writes it (the form Dpkg::Deps outputs).
 *
 * @example
 * formatRelations(parseRelations('a(>=1)|b ,c')); // 'a (>= 1) | b, c'
 */
export function formatRelations(relations: Relation[][]): string {
  return relations.map((alts) => alts.map(formatRelation).join(' | ')).join(', ');
}
