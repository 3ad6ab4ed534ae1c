// Release freshness — apt's replay and clock checks on a verified Release (apt-pkg/deb/debmetaindex.cc
// debReleaseIndex::Load, apt-pkg/acquire-item.cc pkgAcqMetaBase::VerifyVendor).

import { CrossrootError } from '../errors.js';
import { parseReleaseTime } from '../formats/index/release-date.js';
import type { Release } from '../formats/index/release.js';

/** apt's `Acquire::Max-FutureTime` default: a Release may be dated at most 10 s ahead of the clock. */
export const MAX_FUTURE_SECONDS = 10;

/**
 * The wall clock, in milliseconds. Freshness is about real time (a replayed Release is refused
 * today, not at SOURCE_DATE_EPOCH), and it decides only whether to go on, never a byte of output.
 */
export const systemClock = (): number => Date.now();

export interface FreshnessPolicy {
  /** Now, in milliseconds since the epoch. */
  now: number;
  /** `check-valid-until` (default yes): refuse a Release past its Valid-Until. */
  checkValidUntil: boolean;
  /** `check-date` (default yes): refuse a Release dated in the future; `no` also turns off Valid-Until. */
  checkDate: boolean;
  /** `date-max-future` in seconds (default {@link MAX_FUTURE_SECONDS}). */
  maxFutureSeconds?: number;
}

/** A duration as apt's TimeToStr writes it: `31d 11h 27min 24s`. */
export function durationText(ms: number): string {
  let s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  if (d > 0) return `${d}d ${h}h ${m}min ${s}s`;
  if (h > 0) return `${h}h ${m}min ${s}s`;
  if (m > 0) return `${m}min ${s}s`;
  return `${s}s`;
}

/**
 * Refuses a Release as apt does: past its Valid-Until (REPO_RELEASE_EXPIRED: a mirror replaying
 * an old, validly signed Release, or one no longer updated), or dated more than
 * `maxFutureSeconds` ahead of now (REPO_RELEASE_FUTURE: a wrong clock, or a forged date). An
 * unparsable Valid-Until is an error when it is checked; an unparsable Date only disables the
 * future check, as in apt. `file` names the Release in the messages.
 *
 * @example
 * checkFreshness(release, { now: systemClock(), checkValidUntil: true, checkDate: true }, uri);
 */
export function checkFreshness(release: Release, policy: FreshnessPolicy, file: string): void {
  if (!policy.checkDate) return;
  const date = parseReleaseTime(release.date);
  if (policy.checkValidUntil && release.validUntil !== undefined) {
    const validUntil = parseReleaseTime(release.validUntil);
    if (validUntil === undefined) {
      throw new CrossrootError('FORMAT_RELEASE', `invalid Valid-Until ${JSON.stringify(release.validUntil)}`, { file });
    }
    if (policy.now > validUntil) {
      throw new CrossrootError(
        'REPO_RELEASE_EXPIRED',
        `Release expired: Valid-Until ${release.validUntil}, ${durationText(policy.now - validUntil)} ago ` +
          '(a mirror replaying an old Release, or one no longer updated); for an archive that is frozen by design use ' +
          '"deb [check-valid-until=no] URI SUITE COMPONENT..." or --ignore-release-expiry',
        { file },
      );
    }
  }
  if (date !== undefined) {
    const notBefore = date - (policy.maxFutureSeconds ?? MAX_FUTURE_SECONDS) * 1000;
    if (policy.now < notBefore) {
      throw new CrossrootError(
        'REPO_RELEASE_FUTURE',
        `Release not valid yet: Date ${release.date} is ${durationText(date - policy.now)} in the future ` +
          `(more than the ${policy.maxFutureSeconds ?? MAX_FUTURE_SECONDS} s apt allows); check this machine's clock, or use "deb [check-date=no] ..."`,
        { file },
      );
    }
  }
}
