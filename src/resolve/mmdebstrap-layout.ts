// mmdebstrap's layout per Debian suite — the facts of the mmdebstrap version each suite ships,
// which crossroot reproduces for that suite ("the output is exactly what the target suite's own
// Debian tools produce"). One table: every place that differs by suite reads it from here.
//
// Sources (each row's /usr/bin/mmdebstrap of the version named, from that suite's archive):
// - bookworm: mmdebstrap 1.3.5. variant buildd/minbase seeds `?priority(required)` too
//   (`elsif (any { $_ eq $options->{variant} } ('required', 'buildd'))` → `push @pkgs_to_install,
//   "?priority(required)"`); the merged-usr setup hook runs by default for suites that need it
//   (its hooks/merged-usr/setup00.sh: the links and the dummy usr-is-merged); /dev headers in
//   GNU tar format (magic "ustar ", version " \0").
// - trixie: mmdebstrap 1.5.7. buildd = essential + apt + build-essential (no ?priority(required));
//   no merged-usr hook (trixie's base-files ships the merged-/usr links); /dev headers POSIX
//   ("ustar\0", "00").
// - forky, sid: mmdebstrap 1.6.x. As trixie, and /etc/fstab is three lines, start-stop-daemon
//   diverted with dpkg-divert while installing.

/** What one mmdebstrap version does that changes a root's bytes. */
export interface MmdebstrapLayout {
  /** The mmdebstrap version of the suite (for messages and reports). */
  readonly mmdebstrap: string;
  /** The merged-usr setup hook: /bin → usr/bin links made first, dummy usr-is-merged, the real one by apt. */
  readonly mergedUsrHook: boolean;
  /** variant buildd (and minbase) also seeds every Priority: required package. */
  readonly builddAddsRequired: boolean;
  /** The synthesised ./dev headers: GNU (`ustar ␠`, ` \0`) or POSIX (`ustar\0`, `00`). */
  readonly devHeaders: 'gnu' | 'posix';
}

const MMDEBSTRAP_1_3_5: MmdebstrapLayout = { mmdebstrap: '1.3.5', mergedUsrHook: true, builddAddsRequired: true, devHeaders: 'gnu' };
const MMDEBSTRAP_1_5_7: MmdebstrapLayout = { mmdebstrap: '1.5.7', mergedUsrHook: false, builddAddsRequired: false, devHeaders: 'posix' };
const MMDEBSTRAP_1_6: MmdebstrapLayout = { mmdebstrap: '1.6', mergedUsrHook: false, builddAddsRequired: false, devHeaders: 'posix' };

/** By the Release file's Codename. */
const BY_CODENAME: Readonly<Record<string, MmdebstrapLayout>> = {
  bookworm: MMDEBSTRAP_1_3_5,
  trixie: MMDEBSTRAP_1_5_7,
  forky: MMDEBSTRAP_1_6,
  sid: MMDEBSTRAP_1_6,
};

/**
 * The layout of a suite, by its Release's Codename (or the suite name asked for): a codename
 * not in the table is a newer suite, laid out as sid's.
 *
 * @example
 * mmdebstrapLayout('trixie').mergedUsrHook; // false
 */
export function mmdebstrapLayout(codename: string | undefined): MmdebstrapLayout {
  return BY_CODENAME[codename ?? ''] ?? MMDEBSTRAP_1_6;
}
