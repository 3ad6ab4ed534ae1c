// Archive access — a source's (In)Release, verified, and its Packages indices, verified and cached.

import { createReadStream } from 'node:fs';
import { CrossrootError, addContext } from '../errors.js';
import { splitClearsigned } from '../formats/index/clearsigned.js';
import { readPackages, type PackageRecord } from '../formats/index/packages.js';
import { parseReleaseTime } from '../formats/index/release-date.js';
import { parseRelease, type Release, type ReleaseFile } from '../formats/index/release.js';
import type { Compression } from '../formats/compression.js';
import { hostDecompressor } from '../host/decompress.js';
import type { Cache } from './cache.js';
import { joinUri, openUri, readUri, type FetchPolicy } from './fetch.js';
import { checkFreshness, systemClock } from './freshness.js';
import type { SourceEntry } from './sources.js';
import { verifyClearsigned, verifyDetached } from './signature.js';

export interface ArchiveOptions {
  cache: Cache;
  /** Keyring files for sources without their own `signed-by`. */
  keyrings: string[];
  /** WARNING: skips signature checks for every source (digests are still checked). */
  insecure: boolean;
  /** Called for each source whose signature --insecure skips, so the CLI can say so loudly. */
  onUnverified?: (uri: string, why: string) => void;
  /**
   * WARNING: accepts Releases past their Valid-Until for every source (a mirror can then replay
   * an old, validly signed Release forever). `--insecure` does not imply it.
   */
  ignoreExpiry?: boolean;
  /** Called for each source whose Valid-Until (or Date) is not checked, and why. */
  onExpiryIgnored?: (uri: string, why: string) => void;
  /** The clock the freshness checks read, in ms since the epoch (default: the system's). */
  clock?: () => number;
  /** Timeouts and retries for the mirror's files. */
  fetch?: FetchPolicy;
}

/** A source with its verified Release. */
export interface OpenedSource {
  entry: SourceEntry;
  release: Release;
  /** Where the index paths of the Release are relative to. */
  base: string;
}

function distBase(entry: SourceEntry): string {
  // A flat repository ("deb URI dir/") has its Release and indices right in that directory.
  return entry.suite.endsWith('/') ? joinUri(entry.uri, entry.suite) : joinUri(entry.uri, `dists/${entry.suite}`);
}

/**
 * Fetches and verifies a source's InRelease (or Release + Release.gpg). A bad signature is an
 * error, never a warning; `[trusted=yes]` or `insecure` skip the check and report it.
 *
 * @example
 * const src = await openSource(entry, { cache, keyrings: [DEFAULT_KEYRING], insecure: false });
 */
export async function openSource(entry: SourceEntry, opts: ArchiveOptions): Promise<OpenedSource> {
  const base = distBase(entry);
  const keyrings = entry.signedBy !== undefined ? entry.signedBy.split(/[,\s]+/).filter(Boolean) : opts.keyrings;
  const check = !entry.trusted && !opts.insecure;
  const inUri = joinUri(base, 'InRelease');
  const inRelease = await readUri(inUri, undefined, opts.fetch);
  let text: string;
  let name: string;
  if (inRelease !== undefined) {
    name = inUri;
    if (check) text = await verifyClearsigned(inRelease, keyrings, inUri);
    else {
      // [trusted=yes] is the user's explicit word for this source, as in apt: no warning.
      if (!entry.trusted) opts.onUnverified?.(inUri, '--insecure');
      const raw = inRelease.toString('utf8');
      text = raw.startsWith('-----BEGIN PGP SIGNED MESSAGE-----') ? splitClearsigned(raw).body : raw;
    }
  } else {
    const relUri = joinUri(base, 'Release');
    const release = await readUri(relUri, undefined, opts.fetch);
    if (release === undefined) {
      throw new CrossrootError('REPO_NO_RELEASE', `no InRelease or Release: is "${entry.suite}" a suite of this mirror?`, { file: base });
    }
    name = relUri;
    if (check) {
      const sig = await readUri(joinUri(base, 'Release.gpg'), undefined, opts.fetch);
      if (sig === undefined) {
        throw new CrossrootError('REPO_SIGNATURE', 'Release is not signed (no InRelease, no Release.gpg); use "deb [trusted=yes] ..." for a local unsigned mirror', { file: relUri });
      }
      await verifyDetached(release, sig, keyrings, relUri);
    } else if (!entry.trusted) opts.onUnverified?.(relUri, '--insecure');
    text = release.toString('utf8');
  }
  const release = parseRelease(text, { file: name });
  checkReleaseFreshness(entry, release, name, opts);
  return { entry, release, base };
}

/**
 * apt's freshness checks, with the source's opt-outs (`check-date=no`, `check-valid-until=no`)
 * and `ignoreExpiry`; each opt-out that skips a check is reported. Signature trust does not
 * change them: apt checks an unsigned `[trusted=yes]` Release's dates too.
 */
function checkReleaseFreshness(entry: SourceEntry, release: Release, name: string, opts: ArchiveOptions): void {
  const checkDate = entry.checkDate !== false;
  const why = !checkDate ? 'check-date=no' : entry.checkValidUntil === false ? 'check-valid-until=no' : opts.ignoreExpiry ? '--ignore-release-expiry' : undefined;
  const now = (opts.clock ?? systemClock)();
  if (why !== undefined && (release.validUntil !== undefined || !checkDate)) {
    const until = release.validUntil === undefined ? undefined : parseReleaseTime(release.validUntil);
    const vu = release.validUntil === undefined ? 'no Valid-Until' : `Valid-Until ${release.validUntil}${until !== undefined && now > until ? ', already past' : ''}`;
    opts.onExpiryIgnored?.(name, checkDate ? `${vu}, NOT checked (${why})` : `Date ${release.date} and ${vu}, NOT checked (${why})`);
  }
  checkFreshness(release, { now, checkDate, checkValidUntil: why === undefined, maxFutureSeconds: entry.dateMaxFuture }, name);
}

const PREFERENCE: [string, Compression][] = [
  ['.xz', 'xz'],
  ['.gz', 'gzip'],
  ['', 'none'],
];

/** The Packages index of a component and architecture as the Release lists it. */
export function packagesIndex(src: OpenedSource, component: string, arch: string): { file: ReleaseFile; compression: Compression } {
  const dir = src.entry.suite.endsWith('/') ? '' : `${component}/binary-${arch}/`;
  for (const [ext, compression] of PREFERENCE) {
    const file = src.release.files.get(`${dir}Packages${ext}`);
    if (file !== undefined) return { file, compression };
  }
  throw new CrossrootError('REPO_NO_INDEX', `the Release lists no ${dir}Packages index (is ${arch} or ${component} in this archive?)`, {
    file: joinUri(src.base, 'Release'),
  });
}

/** Downloads (or finds in the cache) a file the Release lists, verified by size and SHA256. */
export async function fetchIndexFile(src: OpenedSource, file: ReleaseFile, cache: Cache, policy?: FetchPolicy): Promise<string> {
  const hit = await cache.lookup(file);
  if (hit !== undefined) return hit;
  const plain = joinUri(src.base, file.path);
  const candidates = src.release.acquireByHash
    ? [joinUri(src.base, `${file.path.replace(/[^/]*$/, '')}by-hash/SHA256/${file.sha256}`), plain]
    : [plain];
  for (const uri of candidates) {
    const body = await openUri(uri, policy);
    if (body !== undefined) return cache.store(body, file, uri === plain ? plain : `${plain} (by-hash ${uri})`);
  }
  throw new CrossrootError('REPO_MISSING', 'listed in the Release but not on the mirror', { file: plain });
}

/**
 * Streams the package records of a source for one component and architecture.
 *
 * @example
 * for await (const r of readSourcePackages(src, 'main', 'arm64', cache)) index.add(r);
 */
export async function* readSourcePackages(src: OpenedSource, component: string, arch: string, cache: Cache, policy?: FetchPolicy): AsyncGenerator<PackageRecord> {
  const { file, compression } = packagesIndex(src, component, arch);
  const path = await fetchIndexFile(src, file, cache, policy);
  const uri = joinUri(src.base, file.path);
  try {
    const bytes = hostDecompressor()(compression, createReadStream(path, { highWaterMark: 1 << 20 }), { file: uri });
    for await (const r of readPackages(bytes, { file: uri })) {
      r.origin = src.entry.uri;
      yield r;
    }
  } catch (err) {
    throw addContext(err, { file: uri });
  }
}
