// Options shared by the verbs that read an archive — parsed here, handed to the pipeline.

import { CrossrootError } from '../errors.js';
import { hostArchitecture } from '../host/arch.js';
import { Cache, defaultCacheDir } from '../repository/cache.js';
import type { ResolveOptions } from '../pipeline/resolve.js';
import { isVariant, VARIANTS } from '../resolve/seeds.js';

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
`;

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
    cache: new Cache((values['cache-dir'] as string | undefined) ?? defaultCacheDir()),
    warn,
  };
}
