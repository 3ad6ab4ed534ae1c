// Coded errors with context — every failure a user can meet is one of these (STYLE.md rule 5).

/** Where an error happened: the more of these are known, the better the message reads. */
export interface ErrorContext {
  package?: string;
  file?: string;
  member?: string;
  path?: string;
  line?: number;
}

/**
 * Error codes by layer. The CLI maps the prefix to an exit code:
 * `FORMAT_`, `REPO_`, `RESOLVE_`, `INSTALL_` → 3 (bad input), `HOST_` → 4, `USAGE_` → 2.
 */
export type ErrorCode =
  | `FORMAT_${string}`
  | `REPO_${string}`
  | `RESOLVE_${string}`
  | `INSTALL_${string}`
  | `HOST_${string}`
  | `USAGE_${string}`;

/**
 * The one error type of crossroot.
 *
 * @example
 * throw new CrossrootError('FORMAT_AR_TRUNCATED', 'truncated', { file: 'x.deb', member: 'data.tar.xz' });
 * // message: "x.deb: data.tar.xz: truncated"
 */
export class CrossrootError extends Error {
  readonly code: ErrorCode;
  readonly context: ErrorContext;
  readonly detail: string;

  constructor(code: ErrorCode, detail: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(formatMessage(detail, context), options);
    this.name = 'CrossrootError';
    this.code = code;
    this.context = context;
    this.detail = detail;
  }

  /** The same error with more context filled in by an outer layer (inner values win). */
  withContext(outer: ErrorContext): CrossrootError {
    return new CrossrootError(this.code, this.detail, { ...outer, ...this.context }, { cause: this.cause });
  }
}

/**
 * Context values come from hostile input (member names, index fields): control characters
 * are written as escapes, so a name cannot break the message into lines or drive a terminal.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x1f\x7f]/g, (c) => ({ '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function formatMessage(detail: string, c: ErrorContext): string {
  const parts: string[] = [];
  if (c.file !== undefined) parts.push(printable(c.line !== undefined ? `${c.file}:${c.line}` : c.file));
  else if (c.package !== undefined) parts.push(printable(c.package));
  if (c.member !== undefined) parts.push(printable(c.member));
  if (c.path !== undefined) parts.push(`member ${printable(c.path)}`);
  if (c.file === undefined && c.line !== undefined) parts.push(`line ${c.line}`);
  return [...parts, detail].join(': ');
}

/** Adds outer context to a CrossrootError; anything else passes through unchanged. */
export function addContext(err: unknown, outer: ErrorContext): unknown {
  return err instanceof CrossrootError ? err.withContext(outer) : err;
}

/** Exit code for an error, as DESIGN.md lists them. */
export function exitCodeFor(err: unknown): number {
  if (!(err instanceof CrossrootError)) return 70; // internal error: a bug in crossroot
  if (err.code.startsWith('USAGE_')) return 2;
  if (err.code.startsWith('HOST_')) return 4;
  return 3;
}
