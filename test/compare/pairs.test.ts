// Crafted tarball pairs: crossroot's verdict against cmp and diffoscope, its differences against a tarfile oracle.
import { readFile, rm, symlink, writeFile, chmod, chown } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareTrees } from '../../src/compare/compare.js';
import { jsonReport } from '../../src/compare/report-json.js';
import { openTree } from '../../src/compare/tree-source.js';
import { hostDecompressor } from '../../src/host/decompress.js';
import { crossroot, run, runBuffer } from '../support/cli.js';
import { IS_ROOT, MTIME, copyTree, makeBase, pokeByte, removeDir, setMtimes, setXattr, tarArgs, tarTree, workDir } from './trees.js';

const ORACLE = new URL('./tar-diff-oracle.py', import.meta.url).pathname;

interface Pair {
  name: string;
  /** Changes the copy of the base tree (mtimes are reset afterwards). */
  change?: (dir: string) => Promise<void>;
  /** Runs after the mtime reset. */
  after?: (dir: string) => Promise<void>;
  /** tar options for both sides (owner pair: the files' own owners). */
  owned?: boolean;
  rootOnly?: boolean;
  /** [member, kind] crossroot must report, each exactly once. */
  expected: [string, string][];
}

const PAIRS: Pair[] = [
  { name: 'identical', expected: [] },
  {
    name: 'content-text',
    change: (d) => pokeByte(join(d, 'etc/motd'), 100, 'X'.charCodeAt(0)),
    expected: [['/etc/motd', 'content']],
  },
  {
    name: 'content-binary',
    change: (d) => pokeByte(join(d, 'usr/bin/tool'), 70_000, 0xff),
    expected: [['/usr/bin/tool', 'content']],
  },
  {
    name: 'content-and-size',
    change: async (d) => writeFile(join(d, 'etc/hostname'), 'crossroot.example.org\n'),
    expected: [['/etc/hostname', 'content']],
  },
  { name: 'mode', change: (d) => chmod(join(d, 'etc/hostname'), 0o755), expected: [['/etc/hostname', 'mode']] },
  {
    name: 'owner',
    owned: true,
    rootOnly: true,
    change: (d) => chown(join(d, 'etc/hostname'), 1000, 1000),
    expected: [['/etc/hostname', 'owner']],
  },
  { name: 'mtime', after: (d) => runBuffer('touch', ['-d', `@${MTIME + 500}`, join(d, 'etc/hostname')]).then(() => {}), expected: [['/etc/hostname', 'mtime']] },
  {
    name: 'symlink-target',
    change: async (d) => {
      await rm(join(d, 'bin'));
      await symlink('usr/sbin', join(d, 'bin'));
    },
    expected: [['/bin', 'linkname']],
  },
  {
    name: 'hardlink-vs-copy',
    change: async (d) => {
      const data = await readFile(join(d, 'usr/lib/libx.so.1'));
      await rm(join(d, 'usr/lib/libx.so.1.0'));
      await writeFile(join(d, 'usr/lib/libx.so.1.0'), data);
      await chmod(join(d, 'usr/lib/libx.so.1.0'), 0o644);
    },
    expected: [['/usr/lib/libx.so.1.0', 'hardlink']],
  },
  {
    name: 'one-side-only',
    change: async (d) => {
      await writeFile(join(d, 'etc/extra'), 'extra\n');
      await chmod(join(d, 'etc/extra'), 0o644);
      await rm(join(d, 'usr/share/doc/README'));
    },
    expected: [
      ['/etc/extra', 'missing-in-a'],
      ['/usr/share/doc/README', 'missing-in-b'],
    ],
  },
  { name: 'xattr', change: (d) => setXattr(join(d, 'var/data'), 'user.crossroot', 'changed'), expected: [['/var/data', 'xattr']] },
  {
    name: 'type',
    change: async (d) => {
      await rm(join(d, 'etc/os-release'));
      await symlink('../usr/lib/os-release', join(d, 'etc/os-release'));
    },
    expected: [['/etc/os-release', 'type']],
  },
  {
    name: 'device',
    rootOnly: true,
    change: async (d) => {
      await rm(join(d, 'dev/null'));
      await runBuffer('mknod', [join(d, 'dev/null'), 'c', '1', '5']);
    },
    expected: [['/dev/null', 'device']],
  },
];

let work = '';
let base = '';
const built = new Map<string, { dir: string; a: string; b: string }>();

beforeAll(async () => {
  work = await workDir('pairs');
  base = join(work, 'base');
  await makeBase(base);
  for (const p of PAIRS) {
    if (p.rootOnly && !IS_ROOT) continue;
    const dir = join(work, p.name);
    await copyTree(base, dir);
    await p.change?.(dir);
    await setMtimes(dir);
    await p.after?.(dir);
    const a = join(work, `${p.name}.a.tar`);
    const b = join(work, `${p.name}.b.tar`);
    await tarTree(base, a, { owned: p.owned });
    await tarTree(dir, b, { owned: p.owned });
    built.set(p.name, { dir, a, b });
  }
});
afterAll(() => removeDir(work));

interface Report {
  identical: boolean;
  a: { sorted: boolean; members: number };
  summary: { kinds: Record<string, number>; differences: number };
  differences: { member: string; kind: string; a: unknown; b: unknown; offset?: number | null; binary?: boolean; diff?: string | null }[];
}

async function compareJson(a: string, b: string): Promise<{ code: number; report: Report }> {
  const r = await crossroot(['compare', '--json', a, b]);
  expect([0, 1], r.stderr).toContain(r.code);
  return { code: r.code, report: JSON.parse(r.stdout) as Report };
}

/** The same report in process (the CLI's own path is checked by every pair above it). */
async function compareLib(a: string, b: string): Promise<Report> {
  const decompressor = hostDecompressor();
  return JSON.parse(jsonReport(await compareTrees(await openTree(a, { decompressor }), await openTree(b, { decompressor })))) as Report;
}

const pairsOf = (r: Report) => r.differences.map((d) => [d.member, d.kind] as [string, string]);
const sorted = (l: [string, string][]) => [...l].sort((x, y) => (x.join('\0') < y.join('\0') ? -1 : x.join('\0') > y.join('\0') ? 1 : 0));

describe('crafted pairs', () => {
  for (const p of PAIRS) {
    it.skipIf(p.rootOnly && !IS_ROOT)(`${p.name}: verdict agrees with cmp and diffoscope, kinds with the tarfile oracle`, async () => {
      const { a, b } = built.get(p.name)!;
      const { code, report } = await compareJson(a, b);
      const identical = p.expected.length === 0;
      expect(report.identical).toBe(identical);
      expect(code).toBe(identical ? 0 : 1);
      // oracle 1: byte equality of the tarballs (every pair here changes the bytes iff the tree)
      expect((await run('cmp', ['-s', a, b])).code === 0).toBe(identical);
      // oracle 2: diffoscope's verdict
      expect((await run('diffoscope', ['--no-progress', '--text', '/dev/null', a, b])).code === 0).toBe(identical);
      // oracle 3: an independent member-by-member comparison with Python's tarfile
      const oracle = JSON.parse((await runBuffer('python3', [ORACLE, a, b])).toString()) as [string, string][];
      expect(sorted(oracle)).toEqual(sorted(p.expected));
      // each difference exactly once, with the expected kind
      expect(pairsOf(report)).toEqual(p.expected);
      expect(new Set(pairsOf(report).map((x) => x.join(' '))).size).toBe(report.differences.length);
      expect(report.summary.differences).toBe(p.expected.length);
      for (const [kind, n] of Object.entries(report.summary.kinds)) expect(n, kind).toBe(p.expected.filter((e) => e[1] === kind).length);
    });
  }

  it('content-text: the first differing byte as cmp finds it, the diff as diff -u writes it', async () => {
    const { dir } = built.get('content-text')!;
    const { report } = await compareJson(built.get('content-text')!.a, built.get('content-text')!.b);
    const d = report.differences[0]!;
    const cmp = await run('cmp', [join(base, 'etc/motd'), join(dir, 'etc/motd')]);
    expect(d.offset).toBe(Number(/byte (\d+)/.exec(cmp.stdout)![1]) - 1);
    expect(d.binary).toBe(false);
    const gnu = (await run('diff', ['-u', join(base, 'etc/motd'), join(dir, 'etc/motd')])).stdout;
    const hunks = (s: string) => s.slice(s.indexOf('\n@@') + 1);
    expect(hunks(d.diff!)).toBe(hunks(gnu));
    expect(d.diff!.split('\n').slice(0, 2)).toEqual(['--- a/etc/motd', '+++ b/etc/motd']);
  });

  it('content-binary: the first differing byte as cmp finds it, no diff', async () => {
    const { dir, a, b } = built.get('content-binary')!;
    const { report } = await compareJson(a, b);
    const d = report.differences[0]!;
    const cmp = await run('cmp', [join(base, 'usr/bin/tool'), join(dir, 'usr/bin/tool')]);
    expect(d.offset).toBe(Number(/byte (\d+)/.exec(cmp.stdout)![1]) - 1);
    expect(d).toMatchObject({ binary: true, diff: null, a: { size: 100_000 }, b: { size: 100_000 } });
  });

  it('content-and-size: one content difference carrying both sizes', async () => {
    const { a, b } = built.get('content-and-size')!;
    const { report } = await compareJson(a, b);
    expect(report.differences).toHaveLength(1);
    expect(report.differences[0]).toMatchObject({ kind: 'content', a: { size: 10 }, b: { size: 22 }, offset: 9 });
  });

  it('hardlink-vs-copy: the link target on the side that has the link', async () => {
    const { a, b } = built.get('hardlink-vs-copy')!;
    expect((await compareJson(a, b)).report.differences[0]).toMatchObject({ a: '/usr/lib/libx.so.1', b: null });
    expect((await compareJson(b, a)).report.differences[0]).toMatchObject({ a: null, b: '/usr/lib/libx.so.1' });
  });
});

describe('the same tree spelled differently is identical', () => {
  const variants: [string, string[]][] = [
    ['gzip', ['-z']],
    ['xz', ['-J']],
    ['zstd', ['--zstd']],
    ['no ./ prefix', ['--transform=s,^\\./,,']],
  ];
  for (const [name, extra] of variants) {
    it(`${name}`, async () => {
      const out = join(work, `base-${name.replace(/\W/g, '')}.tar`);
      await runBuffer('tar', tarArgs(base, out, { extra }));
      const a = built.get('identical')!.a;
      expect(await readFile(out)).not.toEqual(await readFile(a)); // cmp would say "different"
      for (const [x, y] of [
        [out, a],
        [a, out],
      ] as const) {
        const { code, report } = await compareJson(x, y);
        expect(report.differences).toEqual([]);
        expect(code).toBe(0);
      }
    });
  }

  it('a directory and its tarball, either way round', async () => {
    const a = built.get('identical')!.a;
    for (const [x, y] of [
      [base, a],
      [a, base],
    ] as const) {
      const r = await crossroot(['compare', x, y]);
      expect(r.stdout).toContain('IDENTICAL');
      expect(r.code, r.stdout).toBe(0);
    }
  });

  it('variant directories against the base tarball give the tarball pairs\' differences', async () => {
    for (const p of PAIRS) {
      if (p.rootOnly && !IS_ROOT) continue;
      const { dir, a, b } = built.get(p.name)!;
      const fromDir = await compareLib(a, dir);
      expect(pairsOf(fromDir), p.name).toEqual(pairsOf(await compareLib(a, b)));
    }
  });

  it('compressed variants compare as the plain ones', async () => {
    const { a, b } = built.get('content-text')!;
    await runBuffer('zstd', ['-q', '-f', a, '-o', `${a}.zst`]);
    await runBuffer('xz', ['-k', '-f', b]);
    const plain = (await compareJson(a, b)).report;
    const packed = (await compareJson(`${a}.zst`, `${b}.xz`)).report;
    expect(packed.differences).toEqual(plain.differences);
  });
});

describe('unsorted input', () => {
  it('gives the same differences, offsets and diffs as sorted input', async () => {
    const a = built.get('identical')!.a;
    const list = join(work, 'reversed.list');
    const names = (await runBuffer('tar', ['-tf', a])).toString().trimEnd().split('\n').reverse();
    // tar stores the first of two linked names as the file: keep libx.so.1 first, as sorted
    const [file, linked] = [names.indexOf('./usr/lib/libx.so.1'), names.indexOf('./usr/lib/libx.so.1.0')];
    [names[file], names[linked]] = [names[linked]!, names[file]!];
    await writeFile(list, names.join('\n') + '\n');
    const unsorted = join(work, 'base-unsorted.tar');
    await runBuffer('tar', [...tarArgs(base, unsorted).slice(0, -1), '--no-recursion', '-T', list]);
    const listed = (await runBuffer('tar', ['-tf', unsorted])).toString().trimEnd().split('\n');
    expect(listed).toEqual(names);

    for (const p of PAIRS) {
      if (p.rootOnly && !IS_ROOT) continue;
      const { b } = built.get(p.name)!;
      const sortedReport = await compareLib(built.get(p.name)!.a, b);
      const unsortedReport = await compareLib(unsorted, b);
      expect(unsortedReport.a.sorted).toBe(false);
      expect(unsortedReport.differences, p.name).toEqual(sortedReport.differences);
    }
  });
});
