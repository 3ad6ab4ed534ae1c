// Loading an archive — the verified indices of every source into one package index.

import { CrossrootError } from '../errors.js';
import type { PackageRecord } from '../formats/index/packages.js';
import { PackageIndex } from '../resolve/package-index.js';
import { openSource, readSourcePackages, type ArchiveOptions, type OpenedSource } from './archive.js';
import { joinUri } from './fetch.js';
import type { SourceEntry } from './sources.js';

export interface LoadedArchive {
  index: PackageIndex;
  sources: OpenedSource[];
}

/**
 * Opens every source (Release verified) and reads its Packages for `arch` into one index.
 *
 * @example
 * const { index } = await loadArchive(entries, 'arm64', { cache, keyrings, insecure: false });
 */
export async function loadArchive(
  entries: SourceEntry[],
  arch: string,
  opts: ArchiveOptions & {
    suite?: string;
    /** Which records may be installed (default: all). */
    candidate?: (r: PackageRecord) => boolean;
    /** Told of each source left out because it has nothing for `arch`. */
    onSkipped?: (source: string, why: string) => void;
  },
): Promise<LoadedArchive> {
  if (entries.length === 0) throw new CrossrootError('USAGE_MIRROR', 'no mirror: give one, or configure apt sources on this host');
  const opened = await Promise.all(
    entries.map((e) =>
      openSource(e, opts).catch((err: unknown) => {
        if (e.optional && err instanceof CrossrootError && err.code === 'REPO_NO_RELEASE') return undefined;
        throw err;
      }),
    ),
  );
  const anyPrimary = opened.some((s) => s !== undefined && s.entry.suite === opts.suite);
  const sources: OpenedSource[] = [];
  for (const src of opened) {
    if (src === undefined) continue;
    // A Release that names its architectures without ARCH: apt skips the source ("doesn't
    // support architecture"), as bookworm-security for s390x since bookworm became oldstable.
    // The suite asked for must have it, though: without it there is nothing to resolve.
    const listed = src.release.architectures;
    if (listed.length === 0 || listed.includes(arch)) sources.push(src);
    else if (anyPrimary && src.entry.suite !== opts.suite) opts.onSkipped?.(`${src.entry.uri} ${src.entry.suite}`, `its Release lists no ${arch} (Architectures: ${listed.join(' ')})`);
    else throw new CrossrootError('REPO_NO_ARCH', `${src.entry.suite} has no ${arch} packages (Architectures: ${listed.join(' ')})`, { file: joinUri(src.base, 'Release') });
  }
  const index = new PackageIndex(arch);
  for (const src of sources) {
    const primary = !anyPrimary || src.entry.suite === opts.suite;
    // A flat repository ("deb URI dir/") has one index and no components.
    const components = src.entry.suite.endsWith('/') ? [''] : src.entry.components;
    if (components.length === 0) {
      throw new CrossrootError('USAGE_MIRROR', `no components for suite ${src.entry.suite} (give them, e.g. "deb URI SUITE main")`, { file: src.entry.uri });
    }
    for (const component of components) {
      for await (const r of readSourcePackages(src, component, arch, opts.cache, opts.fetch)) index.add(r, primary, opts.candidate?.(r) ?? true);
    }
  }
  return { index, sources };
}
