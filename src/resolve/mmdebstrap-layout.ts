// mmdebstrap's layout per Debian suite — the facts of the mmdebstrap version each suite ships,
// which crossroot reproduces for that suite ("the output is exactly what the target suite's own
// Debian tools produce"). One table: every place that differs by suite reads it from here.
//
// Each row follows that suite's /usr/bin/mmdebstrap (line numbers: B = bookworm's 1.3.5,
// T = trixie's and forky's 1.5.7, S = sid's 1.6.0):
// - stage 1 (`dpkg --install --force-depends` of apt's `?essential` download): every variant in
//   T/S (T 3540); B's variant apt is an `apt-get dist-upgrade` with apt implicitly Essential
//   instead (B 2459-2477, ForceEssential "," for all other variants, B 2016-2028);
// - stage 2 (`apt-get install`): B buildd = build-essential + ?priority(required) (B 2990-3011);
//   T/S = `apt` for every variant but essential, + build-essential for buildd, required only
//   for minbase (T 4013-4040);
// - the merged-usr setup hook: bookworm needs it (usrmerge does not honour DPKG_ROOT);
//   trixie's base-files ships the /bin → usr/bin links, so T/S need none;
// - ./dev headers: B packs GNU `a8` "ustar  " (5786); T/S `a6 a2` "ustar", "00" (T 7104);
// - etc/fstab: one line in B/T (T 3205-3212), three in S (S 3526-3534);
// - start-stop-daemon: B/T rename it and back (no trace); S diverts it with dpkg-divert and
//   removes the diversions, leaving diversions-old when the root has diversions of its own
//   (S 2862-2962);
// - tar: T adds `--exclude=./lost+found`, `--exclude=./servers`, `--exclude=./servers/*`
//   (T 7128-7158), S also `--sparse` after `--one-file-system` (S 7487).

/** What one mmdebstrap version does that changes a root's bytes. */
export interface MmdebstrapLayout {
  /** The mmdebstrap version of the suite (for messages and reports). */
  readonly mmdebstrap: string;
  /** The merged-usr setup hook: /bin → usr/bin links made first, dummy usr-is-merged, the real one by apt. */
  readonly mergedUsrHook: boolean;
  /** Variant apt is one `apt-get dist-upgrade` with apt Essential (stage 1 holds apt); else stage 2 installs apt. */
  readonly aptInStage1: boolean;
  /** Variant buildd also seeds every Priority: required package. */
  readonly builddAddsRequired: boolean;
  /** The synthesised ./dev headers: GNU (`ustar ␠`, ` \0`) or POSIX (`ustar\0`, `00`). */
  readonly devHeaders: 'gnu' | 'posix';
  /** The text of etc/fstab. */
  readonly fstab: string;
  /** start-stop-daemon diverted with dpkg-divert while installing (install/start-stop-daemon.ts); else renamed, which leaves no trace. */
  readonly ssdDiversions: boolean;
  /** GNU tar: what mmdebstrap excludes, and whether it passes `--sparse` (output/tarball.ts). */
  readonly tar: { readonly excludes: readonly string[]; readonly sparse: boolean };
}

const T_EXCLUDES = ['./lost+found', './dev', './servers', './servers/*'];const ONE_LINE_FSTAB = '# UNCONFIGURED FSTAB FOR BASE SYSTEM\n';

const MMDEBSTRAP_1_3_5: MmdebstrapLayout = {
  mmdebstrap: '1.3.5',
  mergedUsrHook: true,
  aptInStage1: true,
  builddAddsRequired: true,
  devHeaders: 'gnu',
  fstab: ONE_LINE_FSTAB,
  ssdDiversions: false,
  tar: { excludes: ['./dev'], sparse: false },
};
const MMDEBSTRAP_1_5_7: MmdebstrapLayout = {
  mmdebstrap: '1.5.7',
  mergedUsrHook: false,
  aptInStage1: false,
  builddAddsRequired: false,
  devHeaders: 'posix',
  fstab: ONE_LINE_FSTAB,
  ssdDiversions: false,
  tar: { excludes: T_EXCLUDES, sparse: false },
};
const MMDEBSTRAP_1_6_0: MmdebstrapLayout = {
  ...MMDEBSTRAP_1_5_7,
  mmdebstrap: '1.6.0',
  fstab: `${ONE_LINE_FSTAB}#\n# <file system> <mount point>   <type>  <options>       <dump>  <pass>\n`,
  ssdDiversions: true,
  tar: { excludes: T_EXCLUDES, sparse: true },
};

/** By the Release file's Codename: the mmdebstrap each suite ships (forky's 1.5.7-3 is trixie's script). */
const BY_CODENAME: Readonly<Record<string, MmdebstrapLayout>> = {
  bookworm: MMDEBSTRAP_1_3_5,
  trixie: MMDEBSTRAP_1_5_7,
  forky: MMDEBSTRAP_1_5_7,
  sid: MMDEBSTRAP_1_6_0,
};

/**
 * The layout of a suite, by its Release's Codename (or the suite name asked for): a codename
 * not in the table is a newer suite, laid out as sid's.
 *
 * @example
 * mmdebstrapLayout('trixie').mergedUsrHook; // false
 */
export function mmdebstrapLayout(codename: string | undefined): MmdebstrapLayout {
  return BY_CODENAME[codename ?? ''] ?? MMDEBSTRAP_1_6_0;
}
