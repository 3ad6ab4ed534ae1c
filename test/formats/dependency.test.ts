// Tests for dependency relation fields — deb-control(5); oracle: Dpkg::Deps (deps_parse) over real fields.

import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CrossrootError } from '../../src/errors.js';
import { formatRelations, parseRelations, type Relation } from '../../src/formats/control/dependency.js';
import { dpkgParseDepends, dpkgSyntax, perlDeps, readHostPackages, seededRandom, type PerlRelation } from './control-oracles.js';

const RELATION_FIELDS = [
  'depends',
  'pre-depends',
  'recommends',
  'suggests',
  'enhances',
  'breaks',
  'conflicts',
  'replaces',
  'provides',
  'built-using',
  'static-built-using',
];

// Real Build-Depends values, as a deb822 parser hands them over (folded lines kept):
// dpkg's debian/control at guillemj/dpkg c5efef926 (comment lines removed, as deb822
// parsing removes them; note the trailing comma), apt's at Debian/apt 6b1281242.
const DPKG_BUILD_DEPENDS = "debhelper-compat (= 13),\n pkgconf,\n gettext (>= 0.19.7),\n po4a (>= 0.59),\n libmd-dev,\n zlib1g-dev,\n libbz2-dev,\n liblzma-dev (>= 5.4.0),\n libzstd-dev (>= 1.4.0),\n libselinux-dev [linux-any] | libselinux1-dev [linux-any],\n libncurses-dev (>= 6.1+20180210),\n bzip2 <!nocheck>,\n xz-utils (>= 5.4.0) <!nocheck>,\n zstd <!nocheck>,\n git <pkg.dpkg.author-release>,\n ca-certificates <pkg.dpkg.author-release>,\n libmodule-build-perl <pkg.dpkg.author-release>,\n fakeroot <pkg.dpkg.author-testing>,\n sq <pkg.dpkg.author-testing>,\n sqv (>= 1.3.0~) <pkg.dpkg.author-testing>,\n sqop <pkg.dpkg.author-testing>,\n sqopv <pkg.dpkg.author-testing>,\n rsop <pkg.dpkg.author-testing>,\n rsopv <pkg.dpkg.author-testing>,\n gosop <pkg.dpkg.author-testing>,\n gpg-sq <pkg.dpkg.author-testing>,\n gpgv-sq <pkg.dpkg.author-testing>,\n gnupg <pkg.dpkg.author-testing>,\n hopenpgp-tools (>= 0.25.1~) <pkg.dpkg.author-testing>,\n cppcheck <pkg.dpkg.author-testing>,\n shellcheck <pkg.dpkg.author-testing>,\n aspell <pkg.dpkg.author-testing>,\n aspell-en <pkg.dpkg.author-testing>,\n codespell <pkg.dpkg.author-testing>,\n i18nspector <pkg.dpkg.author-testing>,\n libtest-minimumversion-perl <pkg.dpkg.author-testing>,\n libtest-perl-critic-perl <pkg.dpkg.author-testing>,\n libtest-pod-coverage-perl <pkg.dpkg.author-testing>,\n libtest-pod-perl <pkg.dpkg.author-testing>,\n libtest-spelling-perl <pkg.dpkg.author-testing>,\n libtest-strict-perl <pkg.dpkg.author-testing>,\n libtest-synopsis-perl <pkg.dpkg.author-testing>,\n lcov <pkg.dpkg.code-coverage>,\n libdevel-cover-perl <pkg.dpkg.code-coverage>,";
const APT_BUILD_DEPENDS = "dpkg-dev (>= 1.22.5) <!pkg.apt.ci>,\n               cmake (>= 3.4),\n               debhelper-compat (= 12),\n               docbook-xml <!nodoc>,\n               docbook-xsl <!nodoc>,\n               dpkg-dev (>= 1.20.8),\n               gettext (>= 0.12),\n               googletest <!nocheck> | libgtest-dev <!nocheck>,\n               libbz2-dev,\n               libdb-dev,\n               libssl-dev,\n               liblz4-dev (>= 0.0~r126),\n               liblzma-dev,\n               libseccomp-dev (>= 2.4.2) [amd64 arm64 armel armhf i386 mips mips64el mipsel ppc64el s390x hppa powerpc powerpcspe ppc64 x32],\n               libsystemd-dev [linux-any],\n               libudev-dev [linux-any],\n               libxxhash-dev (>= 0.8),\n               libzstd-dev (>= 1.0),\n               ninja-build,\n               pkg-config,\n               po4a (>= 0.34-2) <!nodoc>,\n               sqv (>= 1.3.0) [amd64 arm64 armel armhf i386 mips64el ppc64el riscv64 s390x hurd-amd64 hurd-i386 loong64 powerpc ppc64 sparc64] <!pkg.apt.nosqv> | gpgv,\n               triehash,\n               xsltproc <!nodoc>,\n               zlib1g-dev";
const APT_BUILD_DEPENDS_INDEP = "doxygen <!nodoc !pkg.apt.nodoxygen>, graphviz <!nodoc !pkg.apt.nodoxygen>, w3m <!nodoc>";

// Shapes a binary or source package can use, each read by Dpkg::Deps as well.
const HAND = [
  'libc6 (>= 2.36), perl:any | perl-base [amd64 !i386] <!nocheck> <stage1 cross>',
  'libc6 (>= 2.34)',
  'libc6(>=2.34)',
  'foo (<< 1.0~), bar (= 1:2.0-1), baz (>> 0)',
  'a (< 1), b (> 2)', // obsolete operators
  'python3:any (>= 3.11~), gcc:native',
  'a:amd64 (>= 1) [linux-any] <!nocheck>',
  'foo,\n bar',
  ' a ,b|c , d ',
  'a |\n b',
  'x [ amd64  i386 ]',
  'y <!nocheck !nodoc> <cross>',
  'z (>= 1.0-1-2)',
  'libfoo-dev (>= 2:1.2.3+dfsg~rc1-0.1~bpo12+1)',
  'A-Package.with+plus (>= 1)',
  'trailing,',
  '',
  '  \n ',
];

// Each must throw FORMAT_DEPENDENCY. The two oracles are asked how they read it:
// `perl` is Dpkg::Deps (source-package syntax): 'rejects', 'accepts', or 'bad-version'
// (parses, but dpkg --compare-versions rejects the version); `dpkg` is dpkg's C parser
// (binary-package syntax, via --update-avail). crossroot rejects only what at least one
// of them rejects: they disagree, and crossroot takes the stricter reading.
type PerlSays = 'rejects' | 'accepts' | 'bad-version';
const ERRORS: [string, PerlSays, 'rejects' | 'accepts'][] = [
  ['foo (>= 1.0', 'rejects', 'rejects'],
  ['foo (1.0)', 'rejects', 'accepts'], // dpkg warns "implicit exact match on version number"
  ['foo (>< 1.0)', 'rejects', 'rejects'],
  ['foo (>= )', 'bad-version', 'rejects'], // Dpkg::Deps reads op '>', version '='
  ['foo bar', 'rejects', 'rejects'],
  ['foo,,bar', 'accepts', 'rejects'], // Dpkg::Deps skips empty entries
  [',foo', 'accepts', 'rejects'],
  ['foo,,', 'accepts', 'rejects'],
  ['foo | | bar', 'rejects', 'rejects'],
  ['foo |', 'accepts', 'rejects'], // Perl's split() drops the empty last alternative
  ['foo:', 'rejects', 'rejects'],
  ['foo :amd64', 'rejects', 'rejects'],
  ['-foo', 'rejects', 'rejects'],
  ['f_o', 'rejects', 'accepts'], // dpkg still allows the deprecated underscore
  ['foo [amd64', 'rejects', 'rejects'],
  ['foo <stage1', 'rejects', 'rejects'],
  ['foo <stage1> (>= 1)', 'rejects', 'rejects'], // parts out of order
  ['foo [amd64] (>= 1)', 'rejects', 'rejects'],
  ['foo (>= 1.0!)', 'bad-version', 'accepts'], // dpkg only warns about the character
  ['foo (>= 1:)', 'bad-version', 'rejects'],
  ['foo (>= 1.0-)', 'bad-version', 'rejects'],
  ['foo [%&]', 'rejects', 'rejects'],
  ['foo [ ]', 'accepts', 'rejects'],
  ['foo < >', 'accepts', 'rejects'],
];

// In the key order of the oracle's canonical JSON (sorted), so the texts can be compared.
function normal(rel: Relation): PerlRelation {
  return {
    arch: rel.arch ?? null,
    arches: rel.archRestrictions ?? null,
    name: rel.name,
    op: rel.constraint?.op ?? null,
    restrictions: rel.profiles ?? null,
    version: rel.constraint?.version ?? null,
    versionValid: rel.constraint !== undefined ? true : null,
  };
}

function expectDependencyError(text: string): CrossrootError {
  try {
    parseRelations(text, { field: 'Depends' });
  } catch (err) {
    expect(err).toBeInstanceOf(CrossrootError);
    expect((err as CrossrootError).code).toBe('FORMAT_DEPENDENCY');
    return err as CrossrootError;
  }
  return expect.unreachable(`no error for ${JSON.stringify(text)}`);
}

// Compares crossroot's reading of each field with Dpkg::Deps'; returns the differences.
async function compareWithPerl(fields: string[]): Promise<string[]> {
  const perl = await perlDeps(fields);
  const bad: string[] = [];
  for (const [i, f] of fields.entries()) {
    const p = perl[i]!;
    if (p.deps === null) {
      bad.push(`Dpkg::Deps refuses ${JSON.stringify(f)}`);
      continue;
    }
    let ours: Relation[][];
    try {
      ours = parseRelations(f);
    } catch (err) {
      bad.push(`${JSON.stringify(f)}: ${(err as Error).message}`);
      continue;
    }
    const got = JSON.stringify(ours.map((alts) => alts.map(normal)));
    if (got !== JSON.stringify(p.deps)) bad.push(`${JSON.stringify(f)}:\n  ours ${got}\n  perl ${JSON.stringify(p.deps)}`);
    if (formatRelations(ours) !== p.output) bad.push(`${JSON.stringify(f)}: formats as ${formatRelations(ours)}, Dpkg::Deps as ${p.output!}`);
  }
  return bad;
}

describe('parseRelations', () => {
  it('reads the example of the brief', () => {
    expect(parseRelations('libc6 (>= 2.36), perl:any | perl-base [amd64 !i386] <!nocheck> <stage1 cross>')).toEqual([
      [{ name: 'libc6', constraint: { op: '>=', version: '2.36' } }],
      [
        { name: 'perl', arch: 'any' },
        { name: 'perl-base', archRestrictions: ['amd64', '!i386'], profiles: [['!nocheck'], ['stage1', 'cross']] },
      ],
    ]);
  });

  it('reads hand-picked shapes as Dpkg::Deps does, and formats them as it does', async () => {
    expect(await compareWithPerl(HAND)).toEqual([]);
  });

  it('reads real Build-Depends (dpkg, apt) as Dpkg::Deps does', async () => {
    const fields = [DPKG_BUILD_DEPENDS, APT_BUILD_DEPENDS, APT_BUILD_DEPENDS_INDEP];
    expect(await compareWithPerl(fields)).toEqual([]);
    const apt = parseRelations(APT_BUILD_DEPENDS);
    expect(apt.find((alts) => alts[0]!.name === 'sqv')![0]!.archRestrictions).toContain('hurd-amd64');
  });

  it('gives [] for an empty field', () => {
    expect(parseRelations('')).toEqual([]);
    expect(parseRelations(' \n\t')).toEqual([]);
  });

  it('normalises the obsolete < and > to <= and >= (as dpkg reads them)', () => {
    const [[a], [b]] = parseRelations('a (< 1), b (> 2)') as [[Relation], [Relation]];
    expect(a.constraint).toEqual({ op: '<=', version: '1' });
    expect(b.constraint).toEqual({ op: '>=', version: '2' });
  });

  it.each(ERRORS)('rejects %j (Dpkg::Deps %s it, dpkg %s it)', async (text, perlSays, dpkgSays) => {
    const err = expectDependencyError(text);
    // The message names the field and the offending text.
    expect(err.message.startsWith('Depends: ')).toBe(true);
    const [p] = await perlDeps([text]);
    const [c] = await dpkgParseDepends([text]);
    expect(c!.ok).toBe(dpkgSays === 'accepts');
    if (perlSays === 'rejects') expect(p!.deps).toBeNull();
    else expect(p!.deps).not.toBeNull();
    if (perlSays === 'bad-version') {
      const versions = p!.deps!.flat().flatMap((r) => (r.version !== null ? [r.version] : []));
      const judged = await dpkgSyntax(versions);
      expect(judged.some((j) => /bad syntax/.test(j.stderr))).toBe(true);
    }
    expect(perlSays === 'accepts' && dpkgSays === 'accepts').toBe(false);
  });

  it('accepts one trailing comma, as Dpkg::Deps does for debian/control (dpkg rejects it in binary fields)', async () => {
    expect(parseRelations('a, b,')).toEqual([[{ name: 'a' }], [{ name: 'b' }]]);
    const [p] = await perlDeps(['a, b,']);
    expect(p!.output).toBe('a, b');
    const [c] = await dpkgParseDepends(['a, b,']);
    expect(c!.ok).toBe(false);
  });

  it('reads binary-package fields as dpkg\'s C parser accepts them', async () => {
    const binary = HAND.filter((h) => !/[[<]|,\s*$/.test(h));
    const verdicts = await dpkgParseDepends(binary);
    expect(verdicts.map((v, i) => (v.ok ? '' : `${binary[i]!}: ${v.stderr}`)).filter((m) => m !== '')).toEqual([]);
  });

  it('names the bad text in the message', () => {
    expect(expectDependencyError('libc6 (>= 2.36), perl (>= 5.36').message).toMatch(/'perl \(>= 5\.36'.*unterminated/);
    expect(expectDependencyError('a, b (>= x!y)').message).toMatch(/'b \(>= x!y\)'.*invalid character '!'/);
    expect(expectDependencyError('a,,b').message).toMatch(/empty relation in 'a,,b'/);
  });
});

describe('real Packages index of this host', () => {
  let fields: string[] = [];
  beforeAll(async () => {
    const all = new Set<string>();
    for (const s of await readHostPackages()) {
      for (const f of RELATION_FIELDS) {
        const v = s.get(f);
        if (v !== undefined) all.add(v);
      }
    }
    fields = [...all].sort();
  });

  it('reads 20,000 real relation fields (seeded sample) as Dpkg::Deps does', async () => {
    expect(fields.length).toBeGreaterThan(20_000);
    const rnd = seededRandom(0xdeb);
    const sample = new Set<string>();
    // Fields with arch qualifiers, alternatives and versions are the interesting ones: take
    // all of those that are rare, then fill up at random.
    for (const f of fields) if (/:(any|native|[a-z0-9]+-)|\[|</.test(f)) sample.add(f);
    while (sample.size < 20_000) sample.add(fields[Math.floor(rnd() * fields.length)]!);
    const list = [...sample];
    expect(await compareWithPerl(list)).toEqual([]);
    const rels = list.flatMap((f) => parseRelations(f).flat());
    // The sample must hold the shapes that matter.
    expect(rels.some((r) => r.arch === 'any')).toBe(true);
    expect(rels.some((r) => r.constraint?.op === '<<')).toBe(true);
    expect(rels.some((r) => r.constraint?.op === '=')).toBe(true);
    expect(list.some((f) => f.includes('|'))).toBe(true);
  });

  it('parse ∘ format ∘ parse = parse on every real field', () => {
    const bad: string[] = [];
    for (const f of fields) {
      const once = parseRelations(f);
      if (JSON.stringify(parseRelations(formatRelations(once))) !== JSON.stringify(once)) bad.push(f);
    }
    expect(bad).toEqual([]);
  });
});

describe('properties (fast-check)', () => {
  const name = fc.stringMatching(/^[a-z0-9][a-z0-9+.-]{0,12}$/);
  const arch = fc.oneof(fc.constantFrom('any', 'native', 'amd64', 'arm64', 'linux-any'), fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,8}$/));
  const versionText = fc
    .tuple(fc.option(fc.nat(5), { nil: undefined }), fc.stringMatching(/^[0-9][0-9a-z.+~]{0,8}$/), fc.option(fc.stringMatching(/^[0-9a-z.+~]{1,5}$/), { nil: undefined }))
    .map(([e, u, r]) => (e !== undefined ? `${e}:` : '') + u + (r !== undefined ? `-${r}` : ''));
  const negatable = (a: fc.Arbitrary<string>): fc.Arbitrary<string> => fc.tuple(fc.boolean(), a).map(([neg, t]) => (neg ? `!${t}` : t));
  const archTerm = negatable(fc.oneof(fc.constantFrom('amd64', 'linux-any', 'any-arm64', 'hurd-i386'), fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,8}$/)));
  const profileTerm = negatable(fc.oneof(fc.constantFrom('nocheck', 'nodoc', 'stage1', 'cross', 'pkg.apt.ci'), fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,8}$/)));
  const relation: fc.Arbitrary<Relation> = fc
    .record(
      {
        name,
        arch,
        constraint: fc.record({ op: fc.constantFrom('<<', '<=', '=', '>=', '>>' as const), version: versionText }),
        archRestrictions: fc.array(archTerm, { minLength: 1, maxLength: 3 }),
        profiles: fc.array(fc.array(profileTerm, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 2 }),
      },
      { requiredKeys: ['name'] },
    )
    .map((r) => r as Relation);
  const field = fc.array(fc.array(relation, { minLength: 1, maxLength: 3 }), { maxLength: 4 });

  it('parse(format(x)) = x for generated relations', () => {
    fc.assert(
      fc.property(field, (rels) => {
        expect(parseRelations(formatRelations(rels))).toEqual(rels);
      }),
      { seed: 42, numRuns: 2000 },
    );
  });

  it('Dpkg::Deps reads generated fields the same way (500 fields)', async () => {
    const fields = fc.sample(field, { seed: 7, numRuns: 500 }).map(formatRelations);
    expect(await compareWithPerl(fields)).toEqual([]);
  });
});
