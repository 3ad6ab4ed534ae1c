// Tests for Debian version parse/format/compare — deb-version(5); oracle: `dpkg --compare-versions` and Dpkg::Version.

import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CrossrootError } from '../../src/errors.js';
import {
  compareVersions,
  formatVersion,
  parseVersion,
  satisfiesConstraint,
  type DebianVersion,
} from '../../src/formats/control/version.js';
import { dpkgCompareSigns, dpkgConfirm, dpkgSyntax, perlVersionParts, readHostPackages, seededRandom } from './control-oracles.js';

// Edge cases with the sign deb-version(5) leads one to expect. dpkg is asked too: the
// table must agree with it (so a broken oracle shows), and the code must agree with dpkg.
const TABLE: [string, string, number][] = [
  ['1.0~rc1', '1.0', -1],
  ['1.0~~', '1.0~', -1],
  ['1.0~~', '1.0~~a', -1],
  ['1.0~~a', '1.0~', -1],
  ['1.0~', '1.0', -1],
  ['1.0', '1.0a', -1],
  ['1.0a', '1.0~', 1],
  ['1.0a', '1.0+', -1], // letters sort before non-letters
  ['1.0+', '1.0.', -1], // non-letters by ASCII code
  ['1:1.0.1', '1:1.0:1', -1],
  ['1:2:3', '1:2.3', 1],
  ['1:2:3', '1:2:4', -1],
  ['1~', '1~0', 0], // zeros after the tilde are skipped like leading zeros
  ['1.0-1~', '1.0-1', -1],
  ['1.0~-1', '1.0-1', -1],
  ['1.0-1-2', '1.0-1-10', -1], // the revision starts after the last hyphen
  ['1.0-1-2', '1.0-2', 1],
  ['1.0-2', '1.0-1-1', -1],
  ['123456789012345678901234567890', '123456789012345678901234567891', -1],
  ['99999999999999999999', '100000000000000000000', -1],
  ['1.12345678901234567890', '1.12345678901234567891', -1], // equal as doubles
  ['9007199254740993', '9007199254740992', 1], // 2^53+1 vs 2^53
  ['1.000000000000000000000000001', '1.1', 0],
  ['1.001', '1.1', 0],
  ['1.0010', '1.10', 0],
  ['0', '00', 0],
  ['0.0', '0', 1],
  ['1', '1.0', -1],
  ['1a', '1.0', -1],
  ['1:0', '0', 1],
  ['0:0', '0', 0],
  ['0:1.0-1', '1.0-1', 0],
  ['01:1', '1:1', 0],
  ['+1:1.0', '1:1.0', 0], // epoch read by strtol()
  ['-0:1', '1', 0],
  ['1:1.0', '2.0', 1],
  ['2:0', '10:0', -1],
  ['2147483647:1', '2147483646:99', 1],
  ['1.0', '1.0-0', 0], // an empty revision equals revision 0
  ['1.0', '1.0-1', -1],
  ['1.0-0', '1.0-0.0', -1],
  ['1.0', '1.0.0', -1],
  ['1.0-a', '1.0-A', 1],
  ['1.0+dfsg-1', '1.0-1', 1],
  ['2.36-9+deb12u4', '2.36-9+deb12u10', -1],
  ['1.2.3~bpo12+1', '1.2.3', -1],
  ['7.6.q-31', '7.6p2-4', 1],
  ['2.0-1', '10.0-1', -1],
  ['1.0-1.1', '1.0-1+b1', 1],
  ['1.0-1', '1.0-1', 0],
  ['a1', 'b1', -1], // no leading digit: dpkg only warns
];

// dpkg errors out on these (exit 2, "bad syntax"): parseVersion must throw.
const DPKG_ERRORS = [
  ':1',
  '1:',
  'a:1',
  '1a:1',
  '-1:1.0',
  '2147483648:1',
  '99999999999999999999:1',
  '1.0-',
  '-1',
  '1:-1',
  '1.0 1',
  '1.0-1:2',
];
// dpkg only warns on these (its lax parser); crossroot rejects them (STYLE.md rule 6).
const DPKG_WARNS_CROSSROOT_REJECTS = ['1.0!', '1.0_1-2', '1.0-1_2', '1:1.0-1:2', '1é', '1.0/2'];
// dpkg warns "does not start with digit" and still compares; so does crossroot, silently.
const DPKG_WARNS_CROSSROOT_ACCEPTS = ['a1.0', '~1', 'abc-1'];

const sign = (n: number): number => (n > 0 ? 1 : n < 0 ? -1 : 0);

// Asks dpkg to confirm the relation compareVersions() finds for each pair (dpkgConfirm
// explains why that is sign equality); returns the pairs where dpkg disagrees. Every 20th
// pair is also asked with a wrong relation, which dpkg must deny: an oracle that always
// says yes would otherwise pass everything.
async function disagreements(pairs: [string, string][]): Promise<string[]> {
  const REL = ['lt', 'eq', 'gt'] as const;
  const claims = pairs.map(([a, b]) => [a, REL[sign(compareVersions(a, b)) + 1]!, b] as const);
  const wrong = claims
    .filter((_, i) => i % 20 === 0)
    .map(([a, rel, b]) => [a, REL[(REL.indexOf(rel) + 1) % 3]!, b] as const);
  const ok = await dpkgConfirm([...claims, ...wrong]);
  return [
    ...claims.filter((_, i) => !ok[i]).map((c) => `dpkg denies ${c.join(' ')}`),
    ...wrong.filter((_, i) => ok[claims.length + i]).map((c) => `dpkg confirms the wrong claim ${c.join(' ')}`),
  ];
}

function expectFormatError(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CrossrootError);
    expect((err as CrossrootError).code).toBe(code);
    return;
  }
  expect.unreachable('no error thrown');
}

// ---- arbitraries: valid Debian versions, including `~`, epochs, hyphenated upstreams,
// colons after an epoch, and digit runs far beyond 2^53.
const digitRun = fc.oneof(
  { weight: 5, arbitrary: fc.stringMatching(/^0{0,2}[0-9]{1,2}$/) },
  { weight: 1, arbitrary: fc.stringMatching(/^[0-9]{17,40}$/) },
);
const upChunk = fc.oneof(digitRun, fc.stringMatching(/^[a-cA-C.+~]{1,3}$/));
const revChunk = fc.oneof(digitRun, fc.stringMatching(/^[a-c.+~]{1,2}$/));
const versionParts = fc
  .record({
    epoch: fc.option(fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constant(2147483647)), { nil: undefined }),
    first: digitRun,
    rest: fc.array(upChunk, { maxLength: 5 }),
    hyphenated: fc.option(fc.tuple(digitRun, fc.array(upChunk, { maxLength: 2 })), { nil: undefined }),
    colon: fc.option(digitRun, { nil: undefined }),
    revision: fc.option(fc.tuple(revChunk, fc.array(revChunk, { maxLength: 3 })), { nil: undefined }),
  })
  .map(({ epoch, first, rest, hyphenated, colon, revision }) => {
    let upstream = first + rest.join('');
    // A colon may only appear after an epoch, a hyphen only before a revision.
    if (colon !== undefined && epoch !== undefined) upstream += `:${colon}`;
    if (hyphenated !== undefined && revision !== undefined) upstream += `-${hyphenated[0]}${hyphenated[1].join('')}`;
    const rev = revision !== undefined ? revision[0] + revision[1].join('') : '';
    const text = (epoch !== undefined ? `${epoch}:` : '') + upstream + (rev !== '' ? `-${rev}` : '');
    return { text, parts: { epoch: epoch ?? 0, upstream, revision: rev } satisfies DebianVersion };
  });
const version = versionParts.map((v) => v.text);

describe('compareVersions: hand table against dpkg --compare-versions', () => {
  let dpkg: number[] = [];
  beforeAll(async () => {
    dpkg = await dpkgCompareSigns(TABLE.flatMap(([a, b]) => [[a, b] as const, [b, a] as const]));
  });

  it('dpkg agrees with the table (the oracle works)', () => {
    expect(dpkg).toEqual(TABLE.flatMap(([, , s]) => [s, -s || 0]));
  });

  it.each(TABLE.map(([a, b], i) => [a, b, i] as const))('%s vs %s', (a, b, i) => {
    expect(sign(compareVersions(a, b))).toBe(dpkg[2 * i]);
    expect(sign(compareVersions(b, a))).toBe(dpkg[2 * i + 1]);
  });
});

describe('parseVersion: syntax checks against dpkg', () => {
  it('rejects what dpkg rejects', async () => {
    const judged = await dpkgSyntax(DPKG_ERRORS);
    for (const [i, v] of DPKG_ERRORS.entries()) {
      expect({ v, exit: judged[i]!.exit }).toEqual({ v, exit: 2 });
      expect(judged[i]!.stderr).toMatch(/error: version .* has bad syntax/);
      expectFormatError(() => parseVersion(v), 'FORMAT_VERSION');
    }
  });

  it('rejects invalid characters, where dpkg only warns', async () => {
    const judged = await dpkgSyntax(DPKG_WARNS_CROSSROOT_REJECTS);
    for (const [i, v] of DPKG_WARNS_CROSSROOT_REJECTS.entries()) {
      expect(judged[i]!.stderr).toMatch(/warning: version .* has bad syntax: invalid character/);
      expectFormatError(() => parseVersion(v), 'FORMAT_VERSION');
    }
  });

  it('accepts an upstream version not starting with a digit, as dpkg does (with a warning)', async () => {
    const judged = await dpkgSyntax(DPKG_WARNS_CROSSROOT_ACCEPTS);
    for (const [i, v] of DPKG_WARNS_CROSSROOT_ACCEPTS.entries()) {
      expect(judged[i]!.exit).toBe(0);
      expect(judged[i]!.stderr).toMatch(/does not start with digit/);
      expect(() => parseVersion(v)).not.toThrow();
    }
  });

  it('rejects the empty string (dpkg --compare-versions reads it as "no version" instead)', () => {
    expectFormatError(() => parseVersion(''), 'FORMAT_VERSION');
    expectFormatError(() => parseVersion(' \t '), 'FORMAT_VERSION');
  });

  it('trims blanks around a version as dpkg does', () => {
    expect(parseVersion(' \t1:2.0-3 ')).toEqual(parseVersion('1:2.0-3'));
  });

  it('names the bad text in the error message', () => {
    expect(() => parseVersion('1.0-')).toThrow(/'1\.0-'.*revision number is empty/);
    expect(() => parseVersion('x:1')).toThrow(/epoch in version is empty/);
    expect(() => parseVersion('2147483648:1')).toThrow(/epoch in version is too big/);
  });

  it('splits epoch, upstream and revision as Dpkg::Version does', async () => {
    const samples = ['1:2.36-9+deb12u4', '1.0-1-2', '1:2:3-4', '1:2:3', '2.0', '0:1.0~rc1-0.1', '10:1-2-3-4', '1.0+dfsg'];
    const perl = await perlVersionParts(samples);
    for (const [i, v] of samples.entries()) {
      const p = parseVersion(v);
      expect({ v, parts: [String(p.epoch), p.upstream, p.revision] }).toEqual({ v, parts: perl[i] });
    }
  });
});

describe('satisfiesConstraint', () => {
  // The obsolete < and > mean <= and >= in dpkg; the oracle for each verdict is the sign
  // dpkg gives the pair, so only the meaning of the operators is written here.
  const OPS: [string, (s: number) => boolean][] = [
    ['<<', (s) => s < 0],
    ['<=', (s) => s <= 0],
    ['<', (s) => s <= 0],
    ['=', (s) => s === 0],
    ['>=', (s) => s >= 0],
    ['>', (s) => s >= 0],
    ['>>', (s) => s > 0],
  ];
  const PAIRS: [string, string][] = [
    ['1.0', '1.0'],
    ['1.0', '1.1'],
    ['1.1', '1.0'],
    ['1.0~rc1', '1.0'],
    ['1:0.1', '2.0'],
    ['1.001', '1.1'],
  ];
  it('follows dpkg for every operator, including the obsolete < and >', async () => {
    const signs = await dpkgCompareSigns(PAIRS, 1);
    for (const [i, [a, b]] of PAIRS.entries()) {
      for (const [op, holds] of OPS) {
        expect({ a, op, b, r: satisfiesConstraint(a, op as never, b) }).toEqual({ a, op, b, r: holds(signs[i]!) });
      }
    }
  });

  it('treats obsolete < as <= (dpkg --compare-versions 1.0 "<" 1.0 is true)', async () => {
    const r = await dpkgCompareSigns([['1.0', '1.0']], 1);
    expect(r[0]).toBe(0);
    expect(satisfiesConstraint('1.0', '<', '1.0')).toBe(true);
    expect(satisfiesConstraint('1.0', '>', '1.0')).toBe(true);
    expect(satisfiesConstraint('1.0', '<<', '1.0')).toBe(false);
  });

  it('rejects an unknown operator', () => {
    expectFormatError(() => satisfiesConstraint('1', '!=' as never, '1'), 'FORMAT_VERSION');
  });
});

describe('formatVersion', () => {
  it('writes the parts back (epoch only when non-zero)', () => {
    expect(formatVersion({ epoch: 1, upstream: '2.36', revision: '9+deb12u4' })).toBe('1:2.36-9+deb12u4');
    expect(formatVersion({ epoch: 0, upstream: '1.0', revision: '' })).toBe('1.0');
    expect(formatVersion(parseVersion('0:1.0-1'))).toBe('1.0-1');
  });

  it('keeps a 0 epoch when the upstream version has a colon, so it reads back the same', () => {
    const v = parseVersion('0:1:2');
    expect(v).toEqual({ epoch: 0, upstream: '1:2', revision: '' });
    expect(parseVersion(formatVersion(v))).toEqual(v);
  });

  it('refuses parts that cannot form a version', () => {
    expectFormatError(() => formatVersion({ epoch: 0, upstream: '1.0-1', revision: '' }), 'FORMAT_VERSION');
    expectFormatError(() => formatVersion({ epoch: -1, upstream: '1', revision: '' }), 'FORMAT_VERSION');
    expectFormatError(() => formatVersion({ epoch: 0, upstream: '', revision: '1' }), 'FORMAT_VERSION');
    expectFormatError(() => formatVersion({ epoch: 0, upstream: '1', revision: 'a-b' }), 'FORMAT_VERSION');
  });
});

describe('properties (fast-check)', () => {
  it('parse ∘ format is the identity on parts, and format reproduces the text', () => {
    fc.assert(
      fc.property(versionParts, ({ text, parts }) => {
        expect(parseVersion(text)).toEqual(parts);
        expect(parseVersion(formatVersion(parts))).toEqual(parts);
        // Only a written `0:` epoch is dropped.
        expect(formatVersion(parseVersion(text))).toBe(parts.epoch === 0 && !parts.upstream.includes(':') ? text.replace(/^0:/, '') : text);
      }),
      { seed: 20240601, numRuns: 2000 },
    );
  });

  it('reflexive: every version equals itself and its formatted form', () => {
    fc.assert(
      fc.property(version, (v) => {
        expect(compareVersions(v, v)).toBe(0);
        expect(compareVersions(v, formatVersion(parseVersion(v)))).toBe(0);
      }),
      { seed: 1, numRuns: 2000 },
    );
  });

  it('antisymmetric: sign(cmp(a, b)) = -sign(cmp(b, a))', () => {
    fc.assert(
      fc.property(version, version, (a, b) => {
        expect(sign(compareVersions(a, b))).toBe(-sign(compareVersions(b, a)) || 0);
      }),
      { seed: 2, numRuns: 5000 },
    );
  });

  it('transitive: a ≤ b and b ≤ c imply a ≤ c (and < is strict along the chain)', () => {
    fc.assert(
      fc.property(fc.array(version, { minLength: 3, maxLength: 12 }), (vs) => {
        // Sorting makes most triples ordered, so the implication is actually exercised.
        const sorted = [...vs].sort(compareVersions);
        for (let i = 0; i < sorted.length; i++) {
          for (let j = i + 1; j < sorted.length; j++) {
            for (let k = j + 1; k < sorted.length; k++) {
              const ab = compareVersions(sorted[i]!, sorted[j]!);
              const bc = compareVersions(sorted[j]!, sorted[k]!);
              const ac = compareVersions(sorted[i]!, sorted[k]!);
              if (ab <= 0 && bc <= 0) expect(ac).toBeLessThanOrEqual(0);
              if (ab < 0 && bc <= 0) expect(ac).toBeLessThan(0);
            }
          }
        }
      }),
      { seed: 3, numRuns: 500 },
    );
  });

  it('generated versions compare as dpkg compares them (1,000 pairs)', async () => {
    const vs = fc.sample(version, { seed: 4, numRuns: 2000 });
    const pairs: [string, string][] = [];
    for (let i = 0; i + 1 < vs.length; i += 2) pairs.push([vs[i]!, vs[i + 1]!]);
    // Same-prefix pairs make the comparison go deep: compare some with a near twin
    // (a zero before the last digit run, a `~` or a digit appended).
    for (let i = 0; i < 300; i++) {
      const v = vs[i]!;
      const twin = i % 3 === 0 ? v.replace(/([0-9]+)$/, '0$1') : i % 3 === 1 ? `${v}~` : `${v}1`;
      pairs[i] = [v, twin];
    }
    const bad = await disagreements(pairs);
    expect(bad).toEqual([]);
    // The generator must cover the interesting cases, or the test proves little.
    expect(vs.some((v) => /[0-9]{21}/.test(v))).toBe(true);
    expect(vs.some((v) => v.includes('~'))).toBe(true);
    expect(vs.some((v) => /^[0-9]+:.*-.*-/.test(v))).toBe(true);
    expect(pairs.filter(([a, b]) => compareVersions(a, b) === 0).length).toBeGreaterThan(50);
  });
});

describe('real Packages index of this host', () => {
  let byPackage = new Map<string, Set<string>>();
  let distinct: string[] = [];
  beforeAll(async () => {
    const stanzas = await readHostPackages();
    byPackage = new Map();
    for (const s of stanzas) {
      const name = s.get('package');
      const v = s.get('version');
      if (name === undefined || v === undefined) continue;
      let set = byPackage.get(name);
      if (set === undefined) byPackage.set(name, (set = new Set()));
      set.add(v);
    }
    distinct = [...new Set([...byPackage.values()].flatMap((s) => [...s]))].sort();
  });

  it('parses every version as Dpkg::Version splits it, and writes it back', async () => {
    expect(distinct.length).toBeGreaterThan(1000);
    const perl = await perlVersionParts(distinct);
    const bad: string[] = [];
    for (const [i, v] of distinct.entries()) {
      const p = parseVersion(v);
      const got = [String(p.epoch), p.upstream, p.revision];
      if (got.join('\t') !== perl[i]!.join('\t')) bad.push(`${v}: ${got.join('|')} vs ${perl[i]!.join('|')}`);
      if (!v.startsWith('0:') && formatVersion(p) !== v) bad.push(`${v}: formats as ${formatVersion(p)}`);
    }
    expect(bad).toEqual([]);
  });

  it('compares >= 10,000 real pairs (same package, near neighbours, random) as dpkg does', async () => {
    const rnd = seededRandom(0x5eed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const pairs: [string, string][] = [];
    // Every pair of versions of one package (across suites and updates), capped.
    const multi = [...byPackage.entries()].filter(([, s]) => s.size > 1).sort(([a], [b]) => (a < b ? -1 : 1));
    for (const [, set] of multi) {
      const vs = [...set];
      for (let i = 0; i < vs.length; i++) for (let j = i + 1; j < vs.length; j++) pairs.push([vs[i]!, vs[j]!]);
      if (pairs.length >= 3000) break;
    }
    const samePackage = pairs.length;
    // Neighbours in byte order share long prefixes, so the comparison goes deep.
    for (let n = 0; n < 3500; n++) {
      const i = Math.floor(rnd() * (distinct.length - 1));
      pairs.push(rnd() < 0.5 ? [distinct[i]!, distinct[i + 1]!] : [distinct[i + 1]!, distinct[i]!]);
    }
    // Pairs that compare equal, which random picks from a large index almost never give: a
    // version with itself, and with its explicit zero epoch (dpkg treats "0:" as no epoch).
    for (let n = 0; n < 100; n++) {
      const v = pick(distinct);
      pairs.push([v, v]);
      if (!v.includes(':')) pairs.push([v, `0:${v}`]);
    }
    while (pairs.length < 10_500) pairs.push([pick(distinct), pick(distinct)]);

    const bad = await disagreements(pairs);
    expect(bad).toEqual([]);
    expect(samePackage).toBeGreaterThan(0);
    expect(new Set(pairs.map(([a, b]) => sign(compareVersions(a, b))))).toEqual(new Set([-1, 0, 1]));
  });
});
