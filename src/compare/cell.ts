// A matrix cell — which suite, architecture and variant a verify report is about, and how it was made.

/** How a cell ended: both roots built and compared, or the runner could not do it (exit 4). */
export type CellVerdict = 'identical' | 'different' | 'host-error';

/** What a verify report records about its cell (report.json "cell"). */
export interface Cell {
  suite: string;
  architecture: string;
  variant: string;
  include: string[];
  /** The sources used, one `deb URI SUITE COMPONENT...` line each. */
  mirrors: string[];
  /** The lockfile's name in the report directory and the SHA-256 of its text; null when verify stopped before resolving. */
  lockfile: { name: string; sha256: string } | null;
  /** package.json's version of the crossroot that made the report. */
  crossroot: string;
  /** Wall-clock seconds of each build; null for a build that did not finish (or was not timed). */
  seconds: { chrootless: number | null; reference: number | null };
  /** Which qemu-user ran the reference's binaries; null before it was chosen (absent in reports of older crossroots). */
  emulator?: CellEmulator | null;
}

/** The qemu-user of a reference build: none (native), the host's binfmt_misc entry, or one taken from the archive. */
export interface CellEmulator {
  kind: 'native' | 'host' | 'archive';
  /** The Debian package and version it comes from (null when dpkg does not know the file). */
  package: string | null;
  version: string | null;
  /** The qemu binary on the host. */
  path: string | null;
  /** The binfmt_misc entry, or the .deb's URI. */
  origin: string;
}

/**
 * The cell's row in a matrix: suite and variant, plus the includes when there are any.
 *
 * @example
 * cellRow({ suite: 'bookworm', variant: 'essential', include: [] }) // 'bookworm/essential'
 */
export function cellRow(c: Pick<Cell, 'suite' | 'variant' | 'include'>): string {
  return `${c.suite}/${c.variant}${c.include.length > 0 ? ` +${c.include.join(',')}` : ''}`;
}

/**
 * The cell's name: row and architecture (a JUnit test case, a directory under the summary).
 *
 * @example
 * cellName(cell) // 'bookworm/essential/arm64'
 */
export function cellName(c: Pick<Cell, 'suite' | 'variant' | 'include' | 'architecture'>): string {
  return `${cellRow(c)}/${c.architecture}`;
}
