// Relationship fields as the dpkg database rewrites them — dpkg 1.21.23 `lib/dpkg/fields.c`
// f_dependency() (parse) and `lib/dpkg/dump.c` varbufdependency() (write).
//
// dpkg keeps no text of Depends & co.: it parses them and prints them back, so the
// status file always reads `name[:arch] (op version)`, alternatives joined by ` | `,
// groups by `, `, all on one line, whatever the control file's spacing or folding:
// - package names are lowercased (pkg_hash_find_set); architecture qualifiers are kept
//   as written, and printed only when written (an implicit one is never printed);
// - `<` and `>` are the obsolete spellings of `<=` and `>=`; a bare `(1.0)` is `= 1.0`;
// - versions are reparsed and printed non-ambiguously (`0:1.0` → `1.0`, see version.ts);
// - an empty field is ignored altogether.

import { formatDbVersion, parseDbVersion, type DbVersion } from './version.js';
import { isSpace } from './stanza.js';

/** The relationship fields, in dpkg's enum deptype order (the status field order). */
export const RELATION_FIELDS = ['Replaces', 'Provides', 'Depends', 'Pre-Depends', 'Recommends', 'Suggests', 'Breaks', 'Conflicts', 'Enhances'] as const;
export type RelationField = (typeof RELATION_FIELDS)[number];

export type DbRelationOp = '<<' | '<=' | '=' | '>=' | '>>';

export interface DbRelationAlternative {
  /** Lowercased, as pkg_hash_find_set() stores it. */
  name: string;
  /** The architecture qualifier when one was written (`:any`, `:amd64`). */
  arch?: string;
  op?: DbRelationOp;
  version?: DbVersion;
}

/** One comma-separated group of alternatives, with the field it belongs to. */
export interface DbRelation {
  field: RelationField;
  alternatives: DbRelationAlternative[];
}

/** A problem found while parsing: dpkg's parse_error() (fatal) or parse_warn(). */
export interface FieldProblem {
  severity: 'error' | 'warning';
  message: string;
}

const ALNUM = /^[A-Za-z0-9]$/;

/** dpkg's pkg_name_is_illegal(): the reason a package name is refused, or undefined. */
export function packageNameProblem(name: string): string | undefined {
  if (name === '') return 'may not be empty string';
  if (!ALNUM.test(name[0]!)) return 'must start with an alphanumeric character';
  for (const c of name) {
    if (!ALNUM.test(c) && !'-+._'.includes(c)) return `character '${c}' not allowed (only letters, digits and characters '-+._')`;
  }
  return undefined;
}

/** dpkg_arch_name_is_illegal(): the reason an architecture name is refused, or undefined. */
export function archNameProblem(name: string): string | undefined {
  if (name === '') return 'may not be empty string';
  if (!ALNUM.test(name[0]!)) return 'must start with an alphanumeric character';
  for (const c of name) {
    if (!ALNUM.test(c) && c !== '-') return `character '${c}' not allowed (only letters, digits and characters '-')`;
  }
  return undefined;
}

/**
 * Parses one relationship field value the way f_dependency() does, appending its groups
 * to `into`. `lax` is pdb_lax_version_parser (status files): bad versions only warn.
 *
 * @example
 * const out: DbRelation[] = [];
 * parseRelationField('Depends', 'libc6(>=2.34) |  Foo', out, [], false);
 * formatRelationField('Depends', out) // 'libc6 (>= 2.34) | foo'
 */
export function parseRelationField(field: RelationField, value: string, into: DbRelation[], problems: FieldProblem[], lax: boolean): void {
  if (value === '') return;
  const error = (message: string): never => {
    problems.push({ severity: 'error', message: `'${field}' field, ${message}` });
    throw new RelationSyntaxError();
  };
  const warn = (message: string) => problems.push({ severity: 'warning', message: `'${field}' field, ${message}` });
  let p = 0;
  const at = (i = p) => value[i] ?? '';
  try {
    for (;;) {
      const dep: DbRelation = { field, alternatives: [] };
      into.push(dep);
      for (;;) {
        const nameStart = p;
        while (at() !== '' && !isSpace(at()) && at() !== ':' && at() !== '(' && at() !== ',' && at() !== '|') p++;
        if (p === nameStart) error('missing package name, or garbage where package name expected');
        const rawName = value.slice(nameStart, p);
        const nameWhy = packageNameProblem(rawName);
        if (nameWhy !== undefined) error(`invalid package name '${rawName}': ${nameWhy}`);
        const alt: DbRelationAlternative = { name: rawName.toLowerCase() };
        dep.alternatives.push(alt);
        if (at() === ':') {
          const archStart = ++p;
          while (at() !== '' && !isSpace(at()) && at() !== '(' && at() !== ',' && at() !== '|') p++;
          if (p === archStart) error('missing architecture name, or garbage where architecture name expected');
          alt.arch = value.slice(archStart, p);
          const archWhy = archNameProblem(alt.arch);
          if (archWhy !== undefined) error(`reference to '${rawName}': invalid architecture name '${alt.arch}': ${archWhy}`);
        }
        while (isSpace(at())) p++;
        if (at() === '(') {
          p++;
          while (isSpace(at())) p++;
          const c1 = at();
          if (c1 === '<' || c1 === '>') {
            const c2 = at(++p);
            if (c2 === '=') {
              alt.op = c1 === '<' ? '<=' : '>=';
              p++;
            } else if (c2 === c1) {
              alt.op = c1 === '<' ? '<<' : '>>';
              p++;
            } else if (c2 === '<' || c2 === '>') {
              error(`reference to '${rawName}':\n bad version relationship ${c1}${c2}`);
            } else {
              warn(`reference to '${rawName}':\n '${c1}' is obsolete, use '${c1}=' or '${c1}${c1}' instead`);
              alt.op = c1 === '<' ? '<=' : '>=';
            }
          } else if (c1 === '=') {
            alt.op = '=';
            p++;
          } else {
            warn(`reference to '${rawName}':\n implicit exact match on version number, suggest using '=' instead`);
            alt.op = '=';
          }
          if (alt.op !== '=' && field === 'Provides') warn(`only exact versions may be used for '${field}' field`);
          while (isSpace(at())) p++;
          const versionStart = p;
          while (at() !== '' && at() !== ')' && at() !== '(' && !isSpace(at())) p++;
          const versionText = value.slice(versionStart, p);
          while (isSpace(at())) p++;
          if (at() === '') error(`reference to '${rawName}': version unterminated`);
          else if (at() !== ')') error(`reference to '${rawName}': version contains '${at()}' instead of ')'`);
          const parsed = parseDbVersion(versionText);
          if (parsed.problem !== undefined) {
            const message = `reference to '${rawName}': version '${versionText}': ${parsed.problem.message}`;
            if (parsed.problem.severity === 'error' || !lax) error(message);
            else warn(message);
          }
          alt.version = parsed.version;
          p++;
          while (isSpace(at())) p++;
        }
        if (at() === '' || at() === ',') break;
        if (at() !== '|') error(`syntax error after reference to package '${alt.name}'`);
        if (field === 'Conflicts' || field === 'Breaks' || field === 'Provides' || field === 'Replaces') {
          error(`alternatives ('|') not allowed in '${field}' field`);
        }
        p++;
        while (isSpace(at())) p++;
      }
      if (at() === '') break;
      p++;
      while (isSpace(at())) p++;
    }
  } catch (err) {
    if (!(err instanceof RelationSyntaxError)) throw err;
  }
}

class RelationSyntaxError extends Error {}

/** varbufdependency() for every group of `field`, joined by `, `; undefined when none. */
export function formatRelationField(field: RelationField, relations: readonly DbRelation[]): string | undefined {
  const groups = relations.filter((r) => r.field === field);
  if (groups.length === 0) return undefined;
  return groups.map((g) => g.alternatives.map(formatAlternative).join(' | ')).join(', ');
}

function formatAlternative(a: DbRelationAlternative): string {
  const arch = a.arch !== undefined ? `:${a.arch}` : '';
  const version = a.op !== undefined && a.version !== undefined ? ` (${a.op} ${formatDbVersion(a.version)})` : '';
  return `${a.name}${arch}${version}`;
}
