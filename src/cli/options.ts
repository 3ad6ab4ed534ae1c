// Options shared by the verbs that read an archive — parsed here, handed to the pipeline.

import { CrossrootError } from '../errors.js';
import { hostArchitecture } from '../host/arch.js';
import { Cache, defaultCacheDir } from '../repository/cache.js';
import { DEFAULT_FETCH_POLICY, worstCaseMs, type FetchPolicy } from '../repository/fetch.js';
import type { ResolveOptions } from '../pipeline/resolve.js';
import { isVariant, VARIANTS } from '../resolve/seeds.js';

/** Timeouts and retries of every verb that reads a mirror. */
export const FETCH_OPTIONS = {
  'fetch-timeout': { type: 'string' },
  'fetch-retries': { type: 'string' },
} as const;

const worst = worstCaseMs(DEFAULT_FETCH_POLICY) / 1000;

export const FETCH_HELP = `  --fetch-timeout S    give up on a mirror that sends nothing (while connecting, before the
                       headers, or mid-file) for S seconds (default: ${DEFAULT_FETCH_POLICY.idleTimeoutMs / 1000})
  --fetch-retries N    retry a refused connection, DNS failure, timeout, broken transfer or
                       HTTP 5xx N times, after 1, 2, 4, ... s (default: ${DEFAULT_FETCH_POLICY.retries}); HTTP 4xx is
                       not retried. Worst case with the defaults, for a mirror that never
                       answers: ${DEFAULT_FETCH_POLICY.retries + 1} x ${DEFAULT_FETCH_POLICY.idleTimeoutMs / 1000} s + ${worst - ((DEFAULT_FETCH_POLICY.retries + 1) * DEFAULT_FETCH_POLICY.idleTimeoutMs) / 1000} s of waits = ${worst} s per file
                       (up to --jobs files at once)
`;

export const ARCHIVE_OPTIONS = {
  arch: { type: 'string' },
  variant: { type: 'string' },
  include: { type: 'string', multiple: true },
  components: { type: 'string' },
  keyring: { type: 'string', multiple: true },
  insecure: { type: 'boolean' },
  'ignore-release-expiry': { type: 'boolean' },
  'cache-dir': { type: 'string' },
  jobs: { type: 'string' },
  'tools-root': { type: 'string' },
  ...FETCH_OPTIONS,
} as const;

export const ARCHIVE_HELP = `  --arch ARCH          Debian architecture to build for (default: the host's, ${hostArchitecture()})
  --variant V          ${VARIANTS.join(' | ')} (default: essential); as mmdebstrap's variants:
                       minbase = essential + Priority: required + apt; buildd = minbase + build-essential
  --include PKG[,PKG]  more packages (name, name=version or name:arch); repeatable
  --components C[,C]   archive components (default: main)
  --keyring FILE|DIR   keyring(s) for signature checks (default: debian-archive-keyring); repeatable
  --insecure           do NOT check Release signatures (digests are still checked); says so loudly.
                       Release expiry (Valid-Until) is still checked
  --ignore-release-expiry
                       WARNING: accept Releases past their Valid-Until, for every source: a
                       mirror can then replay an old, validly signed Release (with its known
                       vulnerable packages) forever. Says so for each source. For one archive
                       that is frozen by design, prefer "deb [check-valid-until=no] URI ..."
  --cache-dir DIR      download cache (default: $XDG_CACHE_HOME/crossroot, else ~/.cache/crossroot)
  --jobs N             parallel downloads (default: 4)
  --tools-root auto|host|DIR
                       what maintainer scripts, dpkg's helpers and GNU tar run from. auto
                       (default): the same suite, variant and --include for this host's
                       architecture, installed once by its own dpkg and cached in the cache
                       directory (tools-v1/), so that the output is what SUITE's own tools
                       make whatever the host runs; host: this host's own programs (the
                       output then depends on the host's suite); DIR: a root you made
${FETCH_HELP}`;

/** The MIRROR paragraph, after a command's own options. */
export const MIRROR_HELP = `
MIRROR is a URI (http://, https://, file://), a local mirror path, or a complete
"deb [options] URI SUITE COMPONENT..." line ("deb [trusted=yes] ..." for unsigned local
mirrors). Without one, the host's apt sources for SUITE, SUITE-updates and SUITE-security
are used. As apt, a Release past its Valid-Until, or dated more than 10 s ahead of this
machine's clock, is refused (exit 3); per source, "deb [check-valid-until=no] ..." accepts
an expired one, "deb [check-date=no] ..." turns off both checks (deb822: Check-Valid-Until:,
Check-Date:), each with a note.
`;

type Values = Record<string, string | boolean | string[] | boolean[] | undefined>;

function list(v: unknown): string[] {
  const items = Array.isArray(v) ? (v as string[]) : typeof v === 'string' ? [v] : [];
  return items.flatMap((s) => s.split(/[,\s]+/)).filter(Boolean);
}

/** The number of parallel jobs (`--jobs`), default 4. */
export function jobsOption(values: Values): number {
  const j = values.jobs === undefined ? 4 : Number(values.jobs);
  if (!Number.isInteger(j) || j < 1) throw new CrossrootError('USAGE_JOBS', `--jobs takes a positive integer, not ${String(values.jobs)}`);
  return j;
}

/**
 * The fetch policy of `--fetch-timeout` and `--fetch-retries`; retries are told to `warn`.
 * The timeout takes fractions of a second (tests use 0.2).
 */
export function fetchPolicy(values: Values, warn: (m: string) => void): FetchPolicy {
  const timeout = values['fetch-timeout'] === undefined ? DEFAULT_FETCH_POLICY.idleTimeoutMs / 1000 : Number(values['fetch-timeout']);
  if (!Number.isFinite(timeout) || timeout <= 0) {
    throw new CrossrootError('USAGE_FETCH', `--fetch-timeout takes a positive number of seconds, not ${String(values['fetch-timeout'])}`);
  }
  const retries = values['fetch-retries'] === undefined ? DEFAULT_FETCH_POLICY.retries : Number(values['fetch-retries']);
  if (!Number.isInteger(retries) || retries < 0 || retries > 20) {
    throw new CrossrootError('USAGE_FETCH', `--fetch-retries takes an integer from 0 to 20, not ${String(values['fetch-retries'])}`);
  }
  return {
    ...DEFAULT_FETCH_POLICY,
    idleTimeoutMs: Math.round(timeout * 1000),
    retries,
    onRetry: (uri, err, attempt) => warn(`retrying (${attempt} of ${retries}) ${uri}: ${err.detail}`),
  };
}

/** Builds resolve options from parsed values and the SUITE [MIRROR...] positionals. */
export function resolveOptions(values: Values, positionals: string[], warn: (m: string) => void): ResolveOptions {
  const [suite, ...mirrors] = positionals;
  if (suite === undefined) throw new CrossrootError('USAGE_ARGS', 'SUITE is required (see --help)');
  const variant = (values.variant as string | undefined) ?? 'essential';
  if (!isVariant(variant)) throw new CrossrootError('USAGE_VARIANT', `unknown variant ${variant} (one of ${VARIANTS.join(', ')})`);
  const components = values.components === undefined ? undefined : list(values.components);
  return {
    suite,
    arch: (values.arch as string | undefined) ?? hostArchitecture(),
    variant,
    include: list(values.include),
    mirrors,
    components,
    keyrings: values.keyring === undefined ? undefined : list(values.keyring),
    insecure: values.insecure === true,
    ignoreReleaseExpiry: values['ignore-release-expiry'] === true,
    fetch: fetchPolicy(values, warn),
    cache: new Cache((values['cache-dir'] as string | undefined) ?? defaultCacheDir()),
    warn,
  };
}

/** `--tools-root auto|host|DIR` (default auto). */
export function toolsRootOption(values: Values): string {
  const v = values['tools-root'];
  if (v === undefined) return 'auto';
  if (typeof v !== 'string' || v === '') throw new CrossrootError('USAGE_TOOLS_ROOT', '--tools-root takes auto, host or a directory');
  return v;
}
