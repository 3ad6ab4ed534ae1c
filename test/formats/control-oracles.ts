// Test oracles for control/version, control/dependency and index/clearsigned: the host's dpkg, Dpkg::Deps and apt lists.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../support/cli.js';

/** A small seeded PRNG (mulberry32): the same seed draws the same pairs on every host. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function listPackagesFiles(): string[] {
  const r = spawnSync('apt-get', ['indextargets', '--format', '$(FILENAME)', 'Identifier: Packages'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`apt-get indextargets failed: ${r.stderr}`);
  return r.stdout.split('\n').filter((f) => f !== '' && existsSync(f));
}

/** The host's apt `Packages` files, running `apt-get update` first if there are none. */
export function hostPackagesFiles(): string[] {
  let files = listPackagesFiles();
  if (files.length === 0) {
    const u = spawnSync('apt-get', ['update'], { encoding: 'utf8' });
    if (u.status !== 0) throw new Error(`apt-get update failed: ${u.stderr}`);
    files = listPackagesFiles();
  }
  if (files.length === 0) throw new Error('no Packages index on this host, even after apt-get update');
  return files;
}

/** One stanza: field names lower-cased, continuation lines joined with `\n`. */
export type Stanza = Map<string, string>;

// Deliberately independent of src/formats/deb822: an oracle must not share the code under test.
function parseStanzas(text: string): Stanza[] {
  const out: Stanza[] = [];
  let cur: Stanza = new Map();
  let last: string | undefined;
  for (const line of text.split('\n')) {
    if (line === '') {
      if (cur.size > 0) out.push(cur);
      cur = new Map();
      last = undefined;
    } else if (line.startsWith(' ') || line.startsWith('\t')) {
      if (last !== undefined) cur.set(last, `${cur.get(last)!}\n${line}`);
    } else {
      const colon = line.indexOf(':');
      last = line.slice(0, colon).toLowerCase();
      cur.set(last, line.slice(colon + 1).trim());
    }
  }
  if (cur.size > 0) out.push(cur);
  return out;
}

/** All stanzas of all the host's Packages files, decompressed by apt itself. */
export async function readHostPackages(): Promise<Stanza[]> {
  const all: Stanza[] = [];
  for (const f of hostPackagesFiles()) {
    const r = await run('/usr/lib/apt/apt-helper', ['cat-file', f]);
    if (r.code !== 0) throw new Error(`apt-helper cat-file ${f} failed: ${r.stderr}`);
    all.push(...parseStanzas(r.stdout));
  }
  return all;
}

// One process per chunk reads "A B" lines and answers -1/0/1 from two dpkg calls at most.
const DPKG_SIGN_SCRIPT = `
while IFS=' ' read -r a b; do
  if dpkg --compare-versions -- "$a" lt "$b"; then echo -1
  elif dpkg --compare-versions -- "$a" gt "$b"; then echo 1
  elif dpkg --compare-versions -- "$a" eq "$b"; then echo 0
  else echo ERR; fi
done
`;

/**
 * The sign of the comparison of each pair, as `dpkg --compare-versions` answers it.
 * Pairs are split over `parallel` shell loops, each spawning dpkg per question.
 */
export async function dpkgCompareSigns(pairs: ReadonlyArray<readonly [string, string]>, parallel = 2): Promise<number[]> {
  const size = Math.ceil(pairs.length / parallel);
  const chunks: (readonly [string, string])[][] = [];
  for (let i = 0; i < pairs.length; i += size) chunks.push(pairs.slice(i, i + size));
  const env = { ...process.env, LC_ALL: 'C' };
  const results = await Promise.all(
    chunks.map((c) => run('bash', ['-c', DPKG_SIGN_SCRIPT], { input: c.map(([a, b]) => `${a} ${b}\n`).join(''), env })),
  );
  const signs: number[] = [];
  results.forEach((r, k) => {
    const lines = r.stdout.split('\n').filter((l) => l !== '');
    if (r.code !== 0 || lines.length !== chunks[k]!.length) {
      throw new Error(`dpkg oracle failed (exit ${String(r.code)}, ${lines.length} answers): ${r.stderr.slice(0, 500)}`);
    }
    for (const [i, l] of lines.entries()) {
      if (l === 'ERR') throw new Error(`dpkg could not compare ${chunks[k]![i]!.join(' vs ')}`);
      signs.push(Number(l));
    }
  });
  return signs;
}

// One dpkg call per line "A REL B": answers 1 when dpkg says the relation holds, else 0.
const DPKG_CONFIRM_SCRIPT = `
while IFS=' ' read -r a rel b; do
  if dpkg --compare-versions -- "$a" "$rel" "$b"; then echo 1; else echo 0; fi
done
`;

/**
 * Asks dpkg whether each claimed relation holds (`dpkg --compare-versions A lt|eq|gt B`),
 * one dpkg run per claim. Since exactly one of lt, eq, gt holds for dpkg, a claim built
 * from a computed sign is confirmed exactly when dpkg's sign is the same: sign equality,
 * for a third of the dpkg runs that asking for the sign outright would take.
 */
export async function dpkgConfirm(claims: ReadonlyArray<readonly [string, 'lt' | 'eq' | 'gt', string]>, parallel = 3): Promise<boolean[]> {
  const size = Math.max(1, Math.ceil(claims.length / parallel));
  const chunks: (readonly [string, string, string])[][] = [];
  for (let i = 0; i < claims.length; i += size) chunks.push(claims.slice(i, i + size));
  const env = { ...process.env, LC_ALL: 'C' };
  const results = await Promise.all(
    chunks.map((c) => run('bash', ['-c', DPKG_CONFIRM_SCRIPT], { input: c.map((t) => `${t.join(' ')}\n`).join(''), env })),
  );
  const out: boolean[] = [];
  results.forEach((r, k) => {
    const lines = r.stdout.split('\n').filter((l) => l !== '');
    if (r.code !== 0 || lines.length !== chunks[k]!.length) {
      throw new Error(`dpkg oracle failed (exit ${String(r.code)}, ${lines.length} answers): ${r.stderr.slice(0, 500)}`);
    }
    out.push(...lines.map((l) => l === '1'));
  });
  return out;
}

/** How `dpkg --compare-versions V eq V` judges one version string. */
export interface DpkgSyntax {
  exit: number | null;
  stderr: string;
}

/** Runs dpkg on each version alone (`V eq V`), to learn whether dpkg accepts, warns or errors. */
export async function dpkgSyntax(versions: string[]): Promise<DpkgSyntax[]> {
  const env = { ...process.env, LC_ALL: 'C' };
  return Promise.all(
    versions.map(async (v) => {
      const r = await run('dpkg', ['--compare-versions', '--', v, 'eq', v], { env });
      return { exit: r.code, stderr: r.stderr };
    }),
  );
}

/** A relation as the Dpkg::Deps oracle prints it. */
export interface PerlRelation {
  name: string;
  arch: string | null;
  op: string | null;
  version: string | null;
  versionValid: boolean | null;
  arches: string[] | null;
  restrictions: string[][] | null;
}

/** Dpkg::Deps' reading of one field: null when deps_parse() refused it. */
export interface PerlDeps {
  deps: PerlRelation[][] | null;
  output: string | null;
}

const PERL_DEPS = String.raw`
use strict; use warnings;
use JSON::PP; use Dpkg::Deps; use Dpkg::Version;
local $SIG{__WARN__} = sub {};
my $json = JSON::PP->new->canonical;
binmode STDIN, ':utf8'; binmode STDOUT, ':utf8';
while (my $line = <STDIN>) {
  my $field = $json->decode($line);
  my $d = eval { deps_parse($field, build_dep => 1) };
  if (!defined $d) { print $json->encode({ deps => undef, output => undef }), "\n"; next; }
  my @and;
  for my $dep ($d->get_deps) {
    my @alts = $dep->isa('Dpkg::Deps::OR') ? $dep->get_deps : ($dep);
    push @and, [ map {
      my $s = $_;
      my $v = defined $s->{version} ? "$s->{version}" : undef;
      {
        name => $s->{package},
        arch => $s->{archqual},
        op => $s->{relation},
        version => $v,
        versionValid => defined $v ? (version_check($v) ? JSON::PP::true : JSON::PP::false) : undef,
        arches => $s->{arches},
        restrictions => $s->{restrictions},
      }
    } @alts ];
  }
  print $json->encode({ deps => \@and, output => $d->output }), "\n";
}
`;

/** Parses each field with Dpkg::Deps (`deps_parse(FIELD, build_dep => 1)`), in one perl process. */
export async function perlDeps(fields: string[]): Promise<PerlDeps[]> {
  const input = fields.map((f) => `${JSON.stringify(f)}\n`).join('');
  const r = await run('perl', ['-e', PERL_DEPS], { input });
  const lines = r.stdout.split('\n').filter((l) => l !== '');
  if (r.code !== 0 || lines.length !== fields.length) {
    throw new Error(`Dpkg::Deps oracle failed (exit ${String(r.code)}, ${lines.length} answers): ${r.stderr.slice(0, 500)}`);
  }
  return lines.map((l) => JSON.parse(l) as PerlDeps);
}

const PERL_VERSION_PARTS = String.raw`
use strict; use warnings; use Dpkg::Version;
while (my $v = <STDIN>) {
  chomp $v;
  my $p = Dpkg::Version->new($v);
  print join("\t", $p->epoch, $p->version, $p->{no_revision} ? '' : $p->revision), "\n";
}
`;

/** Dpkg::Version's epoch, upstream and revision of each version (`''` when it has none). */
export async function perlVersionParts(versions: string[]): Promise<[string, string, string][]> {
  const r = await run('perl', ['-e', PERL_VERSION_PARTS], { input: versions.map((v) => `${v}\n`).join('') });
  const lines = r.stdout.split('\n').filter((l) => l !== '');
  if (r.code !== 0 || lines.length !== versions.length) throw new Error(`Dpkg::Version oracle failed: ${r.stderr.slice(0, 500)}`);
  return lines.map((l) => l.split('\t') as [string, string, string]);
}

/** How dpkg's C parser (lib/dpkg/fields.c) judges a relation field: `ok` false on a parse error. */
export interface DpkgFieldVerdict {
  ok: boolean;
  stderr: string;
}

/**
 * Feeds each value as the `Depends` field of a one-stanza Packages file to
 * `dpkg --admindir=TMP --update-avail`, which parses it with dpkg's C parser.
 */
export async function dpkgParseDepends(values: string[]): Promise<DpkgFieldVerdict[]> {
  const dir = mkdtempSync(join(tmpdir(), 'crossroot-dpkg-avail-'));
  try {
    writeFileSync(join(dir, 'status'), '');
    const out: DpkgFieldVerdict[] = [];
    for (const [i, v] of values.entries()) {
      const file = join(dir, `Packages-${i}`);
      const folded = v.replace(/\n/g, '\n ');
      writeFileSync(file, `Package: t\nVersion: 1\nArchitecture: all\nMaintainer: m <m@example.org>\nDescription: d\nDepends: ${folded}\n\n`);
      const r = await run('dpkg', [`--admindir=${dir}`, '--update-avail', file], { env: { ...process.env, LC_ALL: 'C' } });
      out.push({ ok: r.code === 0, stderr: r.stderr });
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
