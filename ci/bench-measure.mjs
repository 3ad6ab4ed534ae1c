// npm run bench, the measuring half (ci/bench.sh makes the local mirror and calls this).
//
// Runs each case BENCH_RUNS times (default 3), alternating: every round runs every case once,
// in an order rotated by one each round, so that no case always follows the same one. Each run
// is timed in a cgroup of its own: wall time, CPU time of the whole process tree (cpuacct, so
// processes nobody waits for count too) and peak RSS summed over the tree (sampled every 20 ms
// from /proc). Prints median, min and max of each, crossroot's stages (from its log's
// timestamps), and the ratios against mmdebstrap --mode=chrootless. BENCH_JSON=FILE writes
// every run as JSON too.
//
// Environment (from bench.sh): BENCH_WORK (work directory), BENCH_CLI (crossroot), BENCH_LINE
// (the mirror's deb line), BENCH_CACHE (the warm cache), BENCH_TMP (the builds' TMPDIR).
// Options: BENCH_RUNS, BENCH_VARIANTS ("essential buildd"), BENCH_SETTLE (seconds of pause
// before each run, default 0 on a tmpfs TMPDIR), BENCH_MM=bwrap (mmdebstrap inside bwrap with
// the host read-only, as crossroot's scripts run; default: as its users run it).

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const env = (name, fallback) => process.env[name] ?? fallback;
const work = env('BENCH_WORK');
const cli = env('BENCH_CLI');
const line = env('BENCH_LINE');
const warmCache = env('BENCH_CACHE');
const tmp = env('BENCH_TMP');
const runs = Number(env('BENCH_RUNS', '3'));
const variants = env('BENCH_VARIANTS', 'essential buildd').split(/\s+/).filter(Boolean);
const settle = Number(env('BENCH_SETTLE', '0'));
const mmMode = env('BENCH_MM', 'plain');
const epoch = env('SOURCE_DATE_EPOCH', '1700000000');
const pageSize = 4096;

// --- cgroups: v1 cpuacct where mounted (this image), else the v2 hierarchy ---------------
const cgroupBase = ['/sys/fs/cgroup/cpuacct', '/sys/fs/cgroup/unified', '/sys/fs/cgroup'].find(
  (d) => existsSync(join(d, 'cpuacct.usage')) || existsSync(join(d, 'cgroup.controllers')),
);
function cpuSeconds(cg) {
  if (existsSync(join(cg, 'cpuacct.usage'))) return Number(readFileSync(join(cg, 'cpuacct.usage'), 'utf8')) / 1e9;
  const m = /usage_usec (\d+)/.exec(readFileSync(join(cg, 'cpu.stat'), 'utf8'));
  return m ? Number(m[1]) / 1e6 : NaN;
}
function treeRss(cg) {
  let sum = 0;
  for (const pid of readFileSync(join(cg, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
    try {
      sum += Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * pageSize;
    } catch {
      // ended between the listing and the read
    }
  }
  return sum;
}

// An interrupted bench leaves no group behind (bench.sh's trap removes the rest).
const groups = new Set();
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    for (const cg of groups) {
      try {
        for (const pid of readFileSync(join(cg, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) process.kill(Number(pid), 'SIGKILL');
      } catch {
        // gone already
      }
    }
    setTimeout(() => {
      for (const cg of groups) rmdirSafe(cg);
      process.exit(128 + ({ SIGINT: 2, SIGTERM: 15, SIGHUP: 1 })[signal]);
    }, 200);
  });
}
function rmdirSafe(cg) {
  try {
    rmdirSync(cg);
  } catch {
    // still busy
  }
}

/** Runs argv in a cgroup of its own; resolves with wall, cpu, rss and the output. */
function measure(argv, extraEnv = {}) {
  const cg = join(cgroupBase, `crossroot-bench-${process.pid}-${Math.random().toString(36).slice(2)}`);
  mkdirSync(cg);
  groups.add(cg);
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn('bash', ['-c', `echo $$ > ${cg}/cgroup.procs && exec "$@"`, 'bench', ...argv], {
      env: { ...process.env, TMPDIR: tmp, SOURCE_DATE_EPOCH: epoch, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, treeRss(cg))), 20);
    child.on('error', reject);
    child.on('close', async (code) => {
      const wall = Number(process.hrtime.bigint() - start) / 1e9;
      clearInterval(sampler);
      // What the command left running (none expected) is waited for, then the group goes.
      for (let i = 0; i < 100 && readFileSync(join(cg, 'cgroup.procs'), 'utf8').trim() !== ''; i++) await new Promise((r) => setTimeout(r, 50));
      const cpu = cpuSeconds(cg);
      rmdirSafe(cg); // a straggler keeps it: it is named after this run
      groups.delete(cg);
      if (code !== 0) reject(new Error(`${argv.join(' ')} failed (exit ${code}):\n${out.split('\n').slice(-20).join('\n')}`));
      else resolve({ wall, cpu, rss: peak, out });
    });
  });
}

// --- the cases -------------------------------------------------------------------------------
const target = (name) => join(work, `out-${name}.tar`);
let fresh = 0;
function crossroot(variant, cache, more = []) {
  return [cli, 'build', '--variant', variant, '--cache-dir', cache, ...more, 'bookworm', target(variant), line];
}
function mmdebstrap(variant) {
  const argv = ['mmdebstrap', '--mode=chrootless', `--variant=${variant}`, '--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr', 'bookworm', target(`mm-${variant}`), line];
  if (mmMode !== 'bwrap') return argv;
  return ['bwrap', '--ro-bind', '/', '/', '--bind', work, work, '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp', '--tmpfs', '/run', '--setenv', 'TMPDIR', tmp, ...argv];
}
/** A case: how to run it once (a fresh cache is made and removed around a cold run). */
function cases(variant) {
  const cold = (more) => async () => {
    const cache = join(work, `cold-cache-${fresh++}`);
    try {
      return await measure(crossroot(variant, cache, more));
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  };
  return [
    { name: `crossroot ${variant} warm`, tool: 'crossroot', cache: 'warm', variant, run: () => measure(crossroot(variant, warmCache)) },
    { name: `crossroot ${variant} warm, --tools-root host`, tool: 'crossroot-host-tools', cache: 'warm', variant, run: () => measure(crossroot(variant, warmCache, ['--tools-root', 'host'])) },
    { name: `crossroot ${variant} cold`, tool: 'crossroot', cache: 'cold', variant, run: cold([]) },
    { name: `crossroot ${variant} cold, --tools-root host`, tool: 'crossroot-host-tools', cache: 'cold', variant, run: cold(['--tools-root', 'host']) },
    { name: `mmdebstrap ${variant}`, tool: 'mmdebstrap', cache: 'none', variant, run: () => measure(mmdebstrap(variant)) },
  ];
}

/** crossroot's stages, from the timestamps of its log lines ("crossroot: [1.23s] ..."). */
const STAGES = [
  ['tools root', /building the tools root|reusing the tools root/],
  ['waiting for the tools root', /^waiting for the tools root/],
  ['fetch', /^downloading \d+ packages/],
  ['decode', /^preparing \d+ packages/],
  ['unpack', /^unpacking \d+ packages/],
  ['scripts', /^installing the essential set/],
  ['ld.so.cache', /^writing etc\/ld\.so\.cache/],
  ['cleanup', /^cleaning up/],
  ['tarball', /^writing \//],
  ['remove work', /^removing the work directories/],
];
function stages(out) {
  const marks = [{ stage: 'start+resolve', at: 0 }];
  for (const l of out.split('\n')) {
    const m = /^crossroot: \[(\d+(?:\.\d+)?)s\] (.*)$/.exec(l);
    if (!m || m[2].startsWith('tools root:')) continue;
    const s = STAGES.find(([, re]) => re.test(m[2]));
    // A tools root being made runs beside the download and decode: its cost is the wait for it.
    if (s && s[0] !== 'tools root') marks.push({ stage: s[0], at: Number(m[1]) });
    else if (m[2] === 'done') marks.push({ stage: 'end', at: Number(m[1]) });
  }
  const out2 = {};
  for (let i = 0; i + 1 < marks.length; i++) out2[marks[i].stage] = (out2[marks[i].stage] ?? 0) + marks[i + 1].at - marks[i].at;
  return out2;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const pause = () => new Promise((r) => setTimeout(r, settle * 1000));

// --- warm-up, then the rounds ----------------------------------------------------------------
const all = variants.flatMap(cases);
process.stderr.write('warming up: one untimed run of every warm case and of mmdebstrap...\n');
for (const c of all.filter((c) => c.cache !== 'cold')) {
  await c.run();
  rmSync(target(c.variant), { force: true });
  rmSync(target(`mm-${c.variant}`), { force: true });
}
const results = new Map(all.map((c) => [c.name, []]));
for (let round = 0; round < runs; round++) {
  const order = all.map((_, i) => all[(i + round) % all.length]);
  for (const c of order) {
    if (settle > 0) await pause();
    const r = await c.run();
    rmSync(target(c.variant), { force: true });
    rmSync(target(`mm-${c.variant}`), { force: true });
    results.get(c.name).push({ wall: r.wall, cpu: r.cpu, rss: r.rss, stages: c.tool === 'mmdebstrap' ? undefined : stages(r.out) });
    process.stderr.write(`round ${round + 1}/${runs}: ${c.name}: ${r.wall.toFixed(2)} s\n`);
  }
}

// --- the report ----------------------------------------------------------------------------
const fmt = (x, d = 2) => x.toFixed(d);
const row = (name) => {
  const rs = results.get(name);
  const w = rs.map((r) => r.wall);
  return { wall: median(w), min: Math.min(...w), max: Math.max(...w), cpu: median(rs.map((r) => r.cpu)), rss: Math.max(...rs.map((r) => r.rss)) };
};
console.log(`\nbookworm amd64, ${runs} alternating runs each, median (min-max); CPU: median, whole process tree; peak RSS: the highest of the runs, summed over the tree`);
console.log(`| case | wall | CPU | peak RSS |\n|---|---|---|---|`);
for (const c of all) {
  const r = row(c.name);
  console.log(`| ${c.name} | ${fmt(r.wall)} s (${fmt(r.min)}-${fmt(r.max)}) | ${fmt(r.cpu, 1)} s | ${Math.round(r.rss / 1048576)} MB |`);
}
console.log('\nratios of medians (wall):');
for (const v of variants) {
  const mm = row(`mmdebstrap ${v}`).wall;
  const warm = row(`crossroot ${v} warm`).wall;
  const cold = row(`crossroot ${v} cold`).wall;
  const hostWarm = row(`crossroot ${v} warm, --tools-root host`).wall;
  const hostCold = row(`crossroot ${v} cold, --tools-root host`).wall;
  console.log(`${v}: warm ${fmt(warm / mm)} of mmdebstrap, cold ${fmt(cold / mm)}; reusing the tools root ${fmt(warm / hostWarm)} of --tools-root host (cold: ${fmt(cold / hostCold)})`);
}
console.log("\ncrossroot's stages, median seconds:");
const names = [...new Set(all.filter((c) => c.tool !== 'mmdebstrap').flatMap((c) => results.get(c.name).flatMap((r) => Object.keys(r.stages))))];
console.log(`| case | ${names.join(' | ')} |\n|---|${names.map(() => '---').join('|')}|`);
for (const c of all.filter((c) => c.tool !== 'mmdebstrap')) {
  console.log(`| ${c.name} | ${names.map((n) => fmt(median(results.get(c.name).map((r) => r.stages[n] ?? 0)))).join(' | ')} |`);
}
if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify(Object.fromEntries(results), null, 2));
