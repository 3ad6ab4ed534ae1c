// ci/github: action-validator accepts the action and the workflow; the action's run: steps, executed in order in bash as a runner would, verify a cell and write the step summary.
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, REPO_ROOT, run } from '../support/cli.js';
import { mirrorArgument } from '../support/mmdebstrap-oracle.js';
import { removeDir, workDir } from '../compare/trees.js';

const VALIDATOR = join(REPO_ROOT, 'node_modules/.bin/action-validator');
const ACTION = join(REPO_ROOT, 'ci/github/action.yml');
const WORKFLOW = join(REPO_ROOT, 'ci/github/verify.yml');
const CACHE = join(REPO_ROOT, '.cache', 'archive');

interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  shell?: string;
  env?: Record<string, string>;
}

/** The YAML as data, read by PyYAML (not by anything this repository ships). */
async function yamlFile(path: string): Promise<{ runs: { using: string; steps: Step[] }; inputs: Record<string, { default?: string }> }> {
  const r = await run('python3', ['-c', 'import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))', path]);
  if (r.code !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

/** GITHUB_OUTPUT's name=value lines. */
async function outputs(file: string): Promise<Record<string, string>> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return Object.fromEntries(text.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

let work = '';
beforeAll(async () => {
  work = await workDir('github-action');
});
afterAll(() => removeDir(work));

describe('ci/github', () => {
  it('@action-validator/cli accepts action.yml and verify.yml', async () => {
    for (const f of [ACTION, WORKFLOW]) {
      const r = await run(VALIDATOR, [f]);
      expect(r.code, `${f}: ${r.stdout}${r.stderr}`).toBe(0);
    }
  });

  it('runs the composite run: steps in order (INPUT_*, GITHUB_OUTPUT, GITHUB_PATH, GITHUB_STEP_SUMMARY; the uses: steps setup-node and upload-artifact are skipped, printed) and writes the verdict table', async () => {
    const action = await yamlFile(ACTION);
    expect(action.runs.using).toBe('composite');
    // crossroot from this checkout, node from this test's own.
    const bin = join(work, 'bin');
    await mkdir(bin);
    await symlink(CLI, join(bin, 'crossroot'));
    const report = join(work, 'report');
    const inputs: Record<string, string> = {
      ...Object.fromEntries(Object.entries(action.inputs).map(([k, v]) => [k, v.default ?? ''])),
      suite: 'bookworm',
      arch: 'amd64',
      variant: 'essential',
      mirror: await mirrorArgument(),
      options: `--cache-dir ${CACHE}`,
      'report-dir': report,
      // Each step is a new shell: a runner carries PATH additions over through $GITHUB_PATH.
      install: `echo "${bin}" >>"$GITHUB_PATH"; echo "${dirname(process.execPath)}" >>"$GITHUB_PATH"`,
    };
    const files = { GITHUB_OUTPUT: join(work, 'output'), GITHUB_STEP_SUMMARY: join(work, 'step-summary.md'), GITHUB_PATH: join(work, 'path'), RUNNER_TEMP: join(work, 'runner-temp') };
    await mkdir(files.RUNNER_TEMP);
    await writeFile(files.GITHUB_OUTPUT, '');
    await writeFile(files.GITHUB_PATH, '');
    await writeFile(files.GITHUB_STEP_SUMMARY, '');
    // What a runner does with ${{ }} in a step's env: inputs and earlier steps' outputs.
    const expand = async (v: string) => {
      const out = await outputs(files.GITHUB_OUTPUT);
      return v.replace(/\$\{\{\s*(inputs\.([\w-]+)|steps\.verify\.outputs\.([\w-]+))\s*\}\}/g, (_, __, input?: string, output?: string) =>
        input !== undefined ? inputs[input] ?? '' : out[output!] ?? '',
      );
    };
    const skipped: string[] = [];
    const logs: string[] = [];
    for (const step of action.runs.steps) {
      if (step.uses !== undefined) {
        // actions/setup-node (node is here already) and actions/upload-artifact (no artifact store here).
        skipped.push(step.uses);
        continue;
      }
      expect(step.shell).toBe('bash');
      // GITHUB_PATH's lines (the last first) go before PATH, for the steps after the one that wrote them.
      const added = (await readFile(files.GITHUB_PATH, 'utf8')).split('\n').filter(Boolean).reverse();
      const env: NodeJS.ProcessEnv = { ...process.env, ...files, PATH: [...added, process.env.PATH].join(':') };
      for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.toUpperCase().replace(/-/g, '_')}`] = v;
      for (const [k, v] of Object.entries(step.env ?? {})) env[k] = await expand(v);
      // GitHub's bash for shell: bash (docs: "bash --noprofile --norc -eo pipefail {0}").
      const script = join(work, `step-${logs.length}.sh`);
      await writeFile(script, step.run!);
      const r = await run('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], { env });
      logs.push(`${step.name}: exit ${r.code}\n${r.stdout}${r.stderr.split('\n').slice(-15).join('\n')}`);
      if (step.name === 'Verdict') continue; // its exit is checked below
      expect(r.code, logs.join('\n')).toBe(0);
      // The host packages were there: the apt step says so and installs nothing.
      if (step.name?.startsWith('Install what the host needs')) expect(r.stdout).toContain('crossroot: host packages all present');
    }
    console.log(`skipped the uses: steps (not run outside GitHub): ${skipped.join(', ')}`);
    expect(skipped).toEqual(['actions/setup-node@v4', 'actions/upload-artifact@v4']);
    // The oracle: cmp on the two tarballs the cell wrote.
    const same = (await run('cmp', ['-s', join(report, 'reference.tar'), join(report, 'chrootless.tar')])).code === 0;
    const out = await outputs(files.GITHUB_OUTPUT);
    expect(out).toEqual({ verdict: same ? 'identical' : 'different', 'report-path': report, 'exit-code': same ? '0' : '1' });
    const table = await readFile(files.GITHUB_STEP_SUMMARY, 'utf8');
    expect(table.split('\n').slice(2, 5)).toEqual([
      '| suite/variant | amd64 |',
      '|---|---|',
      same ? '| bookworm/essential | ✅ IDENTICAL |' : expect.stringMatching(/^\| bookworm\/essential \| ❌ DIFFERENT \(\d+ members?\): /),
    ]);
    expect(logs.at(-1)).toMatch(same ? /^Verdict: exit 0/ : /^Verdict: exit 1/);
  }, 900_000);
});
