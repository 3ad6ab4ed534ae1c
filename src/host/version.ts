// crossroot's own version — package.json's "version", read once where the package is installed.

import { readFileSync } from 'node:fs';

/**
 * The version of this crossroot (package.json). Two levels up from here is the package root
 * both from dist/host/version.js and from the bundled dist/cli/crossroot.mjs (ci/bundle.mjs).
 *
 * @example
 * crossrootVersion() // '0.1.0'
 */
export function crossrootVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  if (typeof pkg.version !== 'string') throw new Error('package.json has no version');
  return pkg.version;
}
