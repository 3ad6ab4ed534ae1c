// ci/gitlab: the example pipeline, run by gitlab-ci-local (shell executor) on a clean copy of this checkout; its summary page in headless Chromium.
import { mkdir, readdir, readFile, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, REPO_ROOT, run } from '../support/cli.js';
import { withEmulation } from '../support/emulation.js';
import { mirrorArgument } from '../support/mmdebstrap-oracle.js';
import { removeDir, workDir } from '../compare/trees.js';

const GITLAB_CI_LOCAL = join(REPO_ROOT, 'node_modules/.bin/gitlab-ci-local');
const OUTPUT = join(REPO_ROOT, 'test-output');
/** The download cache every cell shares with the other tests: nothing is downloaded twice. */
const CACHE = join(REPO_ROOT, '.cache', 'archive');
const CELLS = ['amd64', 'arm64'];
const JOBS = ['verify: [bookworm,amd64,essential]', 'verify: [bookworm,arm64,essential]', 'crossroot-summary', 'pages'];

const missing = (await Promise.all(['git', 'rsync'].map(async (p) => ((await run('sh', ['-c', `command -v ${p}`])).code === 0 ? '' : p)))).filter(Boolean);

let work = '';
let repo = '';
beforeAll(async () => {
  work = await workDir('gitlab-pipeline');
  repo = join(work, 'repo');
  await mkdir(repo);
  if (missing.length > 0) return;
  // A clean clone of the working tree (committed or not): its files, one commit, branch main.
  const files = await run('sh', ['-c', `git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t '${repo}'`], { cwd: REPO_ROOT });
  expect(files.code, files.stderr).toBe(0);
  const git = (...args: string[]) => run('git', ['-c', 'user.name=crossroot tests', '-c', 'user.email=tests@crossroot.invalid', ...args], { cwd: repo });
  for (const args of [['init', '-q', '-b', 'main'], ['add', '-A'], ['commit', '-q', '-m', 'crossroot checkout'], ['remote', 'add', 'origin', 'https://salsa.debian.org/crossroot/crossroot.git']]) {
    const r = await git(...args);
    expect(r.code, r.stderr).toBe(0);
  }
});
afterAll(() => removeDir(work));

describe('ci/gitlab/example.yml under gitlab-ci-local', () => {
  it.skipIf(missing.length > 0)(
    `every matrix job and the summary job succeed, and index.html shows each cell's verdict${missing.length > 0 ? ` (skipped: gitlab-ci-local needs ${missing.join(' and ')}: apt-get install ${missing.join(' ')})` : ''}`,
    async () => {
      expect((await run(GITLAB_CI_LOCAL, ['--version'])).stdout.trim()).toMatch(/^4\.60\./);
      // crossroot from this checkout's dist/ (the template's install variable), node from this test's.
      const bin = join(work, 'bin');
      await mkdir(bin);
      await symlink(CLI, join(bin, 'crossroot'));
      const variables = {
        CROSSROOT_INSTALL: `export PATH="${bin}:${dirname(process.execPath)}:$PATH"`,
        CROSSROOT_CACHE_DIR: CACHE,
        CROSSROOT_CACHE_PRUNE: 'no', // the cache is shared with the other tests
        MIRROR: await mirrorArgument(),
        SOURCE_DATE_EPOCH: '1700000000',
      };
      const r = await withEmulation('arm64', () =>
        run(
          GITLAB_CI_LOCAL,
          [
            '--file', 'ci/gitlab/example.yml', '--force-shell-executor',
            // each job in its own copy of the repository, seeing only the artifacts of its needs, as on GitLab
            '--shell-isolation',
            // one job at a time: the cells share the cache and its tools root, and the machine has 2 cores
            '--concurrency', '1',
            ...Object.entries(variables).flatMap(([k, v]) => ['--variable', `${k}=${v}`]),
          ],
          { cwd: repo },
        ),
      );
      const log = r.stdout + r.stderr;
      expect(r.code, log.split('\n').slice(-60).join('\n')).toBe(0);
      for (const job of JOBS) expect(log, log.split('\n').slice(-60).join('\n')).toMatch(new RegExp(`^ PASS +${job.replace(/[[\]]/g, '\\$&')}\\s*$`, 'm'));

      const artifacts = join(repo, '.gitlab-ci-local', 'artifacts');
      const site = join(artifacts, 'pages', 'public');
      // The oracle for each cell's verdict: cmp on the two tarballs the cell published.
      const expected: Record<string, string> = {};
      for (const arch of CELLS) {
        // gitlab-ci-local names a job's artifact directory after the job, encoded ("verifyOiBbbookwormLAarm64...").
        const job = (await readdir(artifacts)).filter((d) => d.startsWith('verify') && d.includes(arch));
        expect(job).toHaveLength(1);
        const report = join(artifacts, job[0]!, 'crossroot-reports', `bookworm-essential-${arch}`);
        const same = await run('cmp', ['-s', join(report, 'reference.tar'), join(report, 'chrootless.tar')]);
        expect([0, 1]).toContain(same.code);
        expected[arch] = same.code === 0 ? 'IDENTICAL' : 'DIFFERENT';
      }
      const browser = await chromium.launch({
        executablePath: '/usr/bin/chromium',
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      });
      try {
        const page = await browser.newPage();
        await page.goto(pathToFileURL(join(site, 'index.html')).href);
        expect(await page.locator('table#matrix thead th').allTextContents()).toEqual(['suite/variant', ...CELLS]);
        for (const arch of CELLS) {
          const cell = page.locator(`td[data-cell="bookworm/essential/${arch}"]`);
          expect(await cell.isVisible()).toBe(true);
          expect(await cell.locator('.verdict').textContent()).toMatch(new RegExp(`^${expected[arch]}`));
        }
        await page.screenshot({ path: join(OUTPUT, 'gitlab-pipeline-summary.png'), fullPage: true });
        // Each cell's link opens its report, which names the cell at the top.
        await page.locator('td[data-cell="bookworm/essential/arm64"] a.verdict').click();
        expect(await page.locator('#cell h2').textContent()).toBe('bookworm/essential/arm64');
      } finally {
        await browser.close();
      }
      const summary = JSON.parse(await readFile(join(site, 'summary.json'), 'utf8'));
      const version = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')).version;
      expect(summary.cells.map((c: { architecture: string; verdict: string; crossroot: string }) => [c.architecture, c.verdict.toUpperCase(), c.crossroot])).toEqual(
        CELLS.map((a) => [a, expected[a], version]),
      );
    },
    3_600_000,
  );
});
