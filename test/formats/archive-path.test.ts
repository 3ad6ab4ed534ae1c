// Hostile Filename, Package and Version fields of an index, each refused by name before they reach a path.
import { describe, expect, it } from 'vitest';
import { architectureNameProblem, packageNameProblem } from '../../src/formats/control/package-name.js';
import { archivePathProblem } from '../../src/formats/index/archive-path.js';
import { pathFieldsProblem } from '../../src/formats/index/packages.js';

describe('archive paths (Filename)', () => {
  it.each(['pool/main/d/dash/dash_0.5.12-2_arm64.deb', './victim_1_all.deb', 'pool/main/g/gcc-12/g++-12_12.2.0-14_amd64.deb', 'pool/main/p/p%20q/x.deb'])(
    'accepts %s',
    (f) => expect(archivePathProblem(f)).toBeUndefined(),
  );
  it.each([
    ['dot-dot escaping the archive', '../../../etc/shadow', '".." segment'],
    ['dot-dot in the middle', 'pool/../../../etc/shadow', '".." segment'],
    ['percent-encoded dot-dot, which URL parsing decodes', 'pool/%2e%2E/%2e%2e/etc/shadow', 'percent-encoded'],
    ['percent-encoded slash', 'pool/..%2f..%2fetc/shadow', 'percent-encoded'],
    ['absolute path', '/etc/shadow', 'absolute'],
    ['empty segment', 'pool//x.deb', 'empty segment'],
    ['backslash', 'pool\\..\\x.deb', 'backslash'],
    ['newline', 'pool/x.deb\nSHA256: 0', 'control character'],
    ['empty', '', 'empty'],
  ])('refuses %s', (_, f, why) => expect(archivePathProblem(f)).toContain(why));
});

describe('package and architecture names', () => {
  it.each(['libc6', 'g++-12', 'libstdc++6', 'a0', 'python3.11'])('accepts %s', (n) => expect(packageNameProblem(n)).toBeUndefined());
  it.each(['../x', 'x/y', 'X11', '-x', 'x', 'x_y', '.', 'x\ny'])('refuses %j', (n) => expect(packageNameProblem(n)).toBeDefined());
  it.each(['amd64', 'all', 'musl-linux-arm64'])('accepts architecture %s', (a) => expect(architectureNameProblem(a)).toBeUndefined());
  it.each(['../x', 'a/b', '', 'a_b', 'a.b'])('refuses architecture %j', (a) => expect(architectureNameProblem(a)).toBeDefined());
});

describe('pathFieldsProblem names the package and the field', () => {
  const ok = { package: 'dash', version: '0.5.12-2', architecture: 'arm64', filename: 'pool/main/d/dash/dash_0.5.12-2_arm64.deb' };
  it('a sound record has none', () => expect(pathFieldsProblem(ok)).toBeUndefined());
  it('a Version with a slash', () => expect(pathFieldsProblem({ ...ok, version: '1/../../x' })).toBe("package dash: invalid version '1/../../x': invalid character '/' in version number"));
  it('a Package with a slash', () => expect(pathFieldsProblem({ ...ok, package: '../x' })).toMatch(/^package "\.\.\/x": invalid package name/));
  it('a Filename out of the archive', () => expect(pathFieldsProblem({ ...ok, filename: '../../x' })).toBe('package dash: Filename "../../x" has a ".." segment'));
});
