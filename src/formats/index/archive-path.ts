// Archive paths — the `Filename` of a Packages stanza (deb-packages(5)): a path relative to the archive root.

/**
 * Why `filename` cannot name a file inside the archive, or `undefined` if it can. The path
 * is joined to the mirror's URI and, for `file:` mirrors, turned into a host path: an
 * absolute path, a `..` segment (also spelled `%2e%2e`, which URL parsing decodes), an
 * empty segment, a backslash or a control character could reach a file outside the archive.
 *
 * @example
 * archivePathProblem('pool/main/d/dash/dash_0.5.12-2_arm64.deb'); // undefined
 * archivePathProblem('../../etc/shadow'); // 'has a ".." segment'
 */
export function archivePathProblem(filename: string): string | undefined {
  if (filename === '') return 'is empty';
  if (filename.startsWith('/')) return 'is absolute';
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(filename)) return 'has a control character';
  if (filename.includes('\\')) return 'has a backslash';
  for (const segment of filename.split('/')) {
    if (segment === '') return 'has an empty segment';
    let decoded = segment;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      // Not percent-encoding: taken as it is.
    }
    if (segment === '..') return 'has a ".." segment';
    if (decoded !== segment && (decoded === '.' || decoded === '..' || /[/\\]/.test(decoded))) return 'has a percent-encoded ".", ".." or path separator';
  }
  return undefined;
}
