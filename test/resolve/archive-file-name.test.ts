// The archives directory's file names — apt's pkgAcqArchive quoting, and never a path separator.
import { describe, expect, it } from 'vitest';
import type { PackageRecord } from '../../src/formats/index/packages.js';
import { archiveFileName } from '../../src/resolve/order.js';

const record = (fields: Partial<PackageRecord>): PackageRecord => ({
  package: 'bsdutils',
  version: '1:2.38.1-5+deb12u3',
  architecture: 'amd64',
  multiArch: undefined,
  essential: false,
  priority: undefined,
  section: undefined,
  source: undefined,
  depends: undefined,
  preDepends: undefined,
  provides: undefined,
  conflicts: undefined,
  breaks: undefined,
  filename: 'pool/main/u/util-linux/bsdutils_2.38.1-5+deb12u3_amd64.deb',
  size: 1,
  sha256: '0'.repeat(64),
  ...fields,
});

describe('archiveFileName', () => {
  it('quotes the epoch colon as apt does', () => expect(archiveFileName(record({}))).toBe('bsdutils_1%3a2.38.1-5+deb12u3_amd64.deb'));
  it('a Package of ../../x, joined to the archives directory, stays in it', () => {
    expect(archiveFileName(record({ package: '../../../../x' }))).toBe('..%2f..%2f..%2f..%2fx_1%3a2.38.1-5+deb12u3_amd64.deb');
  });
  it('a Version of 1/../../x stays in the archives directory', () => {
    expect(archiveFileName(record({ version: '1/../../x' }))).not.toContain('/');
  });
  it('quotes non-ASCII bytes one by one, as apt QuoteString does', () => expect(archiveFileName(record({ version: '1é' }))).toBe('bsdutils_1%c3%a9_amd64.deb'));
});
