// Release files — the archive's signed table of contents (Debian wiki "DebianRepository/Format").

import { CrossrootError } from '../../errors.js';
import { parseSingleParagraph } from '../deb822/parse.js';
import type { Paragraph } from '../deb822/paragraph.js';

/** One index file listed in a Release file's SHA256 field. */
export interface ReleaseFile {
  path: string;
  size: number;
  sha256: string;
}

/** The fields of a Release file crossroot uses. Required ones fail when absent. */
export interface Release {
  paragraph: Paragraph;
  suite: string | undefined;
  codename: string | undefined;
  /** The `Date:` field verbatim (RFC 2822), recorded in lockfiles. */
  date: string;
  /** The `Valid-Until:` field verbatim, when present: the archive's promise of a newer Release by then. */
  validUntil: string | undefined;
  architectures: string[];
  components: string[];
  acquireByHash: boolean;
  /** Index files by path (`main/binary-amd64/Packages.xz`). */
  files: Map<string, ReleaseFile>;
}

/**
 * Parses a Release body (the signed text of an InRelease, or a Release file).
 *
 * @example
 * const r = parseRelease(body, { file: 'bookworm/InRelease' });
 * r.files.get('main/binary-arm64/Packages.xz')?.sha256;
 */
export function parseRelease(text: string, opts: { file?: string } = {}): Release {
  const p = parseSingleParagraph(text, opts);
  const date = p.get('Date');
  if (date === undefined) throw new CrossrootError('FORMAT_RELEASE', 'Release has no Date field', { file: opts.file });
  const sums = p.field('SHA256');
  if (sums === undefined) throw new CrossrootError('FORMAT_RELEASE', 'Release has no SHA256 field', { file: opts.file });
  const files = new Map<string, ReleaseFile>();
  const lines = sums.value.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const m = /^([0-9a-fA-F]{64})\s+([0-9]+)\s+(\S+)$/.exec(line);
    if (m === null) throw new CrossrootError('FORMAT_RELEASE', `bad SHA256 line ${JSON.stringify(line)}`, { file: opts.file, line: sums.line + i });
    files.set(m[3]!, { path: m[3]!, size: Number(m[2]), sha256: m[1]!.toLowerCase() });
  });
  const words = (name: string) => (p.get(name) ?? '').split(/\s+/).filter(Boolean);
  return {
    paragraph: p,
    suite: p.get('Suite'),
    codename: p.get('Codename'),
    date,
    validUntil: p.get('Valid-Until'),
    architectures: words('Architectures'),
    components: words('Components'),
    acquireByHash: (p.get('Acquire-By-Hash') ?? '').toLowerCase() === 'yes',
    files,
  };
}
