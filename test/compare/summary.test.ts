// crossroot summary: a crafted matrix (identical, different, malformed cells) and a real host-error cell (verify with no binfmt_misc).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, REPO_ROOT, crossroot, run } from '../support/cli.js';
import { removeDir, workDir } from './trees.js';

const XSD = new URL('./fixtures/junit-10.xsd', import.meta.url).pathname;
const OUTPUT = join(REPO_ROOT, 'test-output');
const SHA = 'a'.repeat(64);

/** A verify report.json as report-verify.ts documents it, written out by hand. */
function cellReport(arch: string, verdict: 'identical' | 'different', members: string[]): object {
  const differences = members.map((m) => ({ member: m, kind: 'content', a: { size: 1, sha256: SHA }, b: { size: 2, sha256: SHA }, offset: 0, binary: false, diff: null }));
  return {
    version: 1,
    verdict,
    cell: {
      suite: 'bookworm',
      architecture: arch,
      variant: 'essential',
      include: [],
      mirrors: ['deb http://deb.example/debian bookworm main'],
      lockfile: { name: `bookworm-${arch}-essential.lock`, sha256: SHA },
      crossroot: '0.1.0',
      seconds: { chrootless: 12.5, reference: 30 },
    },
    identical: verdict === 'identical',
    a: { path: 'reference.tar', format: 'tar', members: 10, sorted: true },
    b: { path: 'chrootless.tar', format: 'tar', members: 10, sorted: true },
    summary: { common: 10, identical: 10 - members.length, differing: members.length, differences: members.length, kinds: {} },
    differences,
  };
}

async function reportDir(name: string, doc: object | string): Promise<string> {
  const dir = join(work, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'report.json'), typeof doc === 'string' ? doc : JSON.stringify(doc));
  await writeFile(join(dir, 'report.html'), `<!DOCTYPE html><title>${name}</title><p>cell report ${name}</p>`);
  return dir;
}

const DIFFERING = ['/etc/shells', '/var/cache/debconf/templates.dat-old'];
let work = '';
let identical = '';
let different = '';

beforeAll(async () => {
  work = await workDir('summary');
  identical = await reportDir('amd64', cellReport('amd64', 'identical', []));
  different = await reportDir('arm64', cellReport('arm64', 'different', DIFFERING));
  await mkdir(OUTPUT, { recursive: true });
});
afterAll(() => removeDir(work));

/** Opens a page in headless Chromium and hands it to `fn`. */
/** A cell's background colour as Chromium computes it (the page runs no script; this runs in the test's context). */
const background = (cell: import('playwright-core').Locator) => cell.evaluate((e) => (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(e).backgroundColor);

async function inChromium<T>(file: string, fn: (page: import('playwright-core').Page) => Promise<T>): Promise<T> {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const page = await browser.newPage();
    await page.goto(pathToFileURL(file).href);
    return await fn(page);
  } finally {
    await browser.close();
  }
}

describe('crossroot summary', () => {
  it('marks a DIFFERENT cell red and names its differing members; junit.xml validates against the JUnit XSD; exit 1', async () => {
    const out = join(work, 'out-different');
    const r = await crossroot(['summary', '--out', out, identical, different]);
    expect(r.code, r.stderr).toBe(1);
    for (const f of ['index.html', 'summary.json', 'summary.md', 'junit.xml', 'cells/bookworm-essential-arm64/report.html', 'cells/bookworm-essential-amd64/report.json']) {
      await readFile(join(out, f));
    }
    // JUnit: the schema GitLab's parser follows, and one test case per cell, one failing (xmllint counts).
    const junit = join(out, 'junit.xml');
    const lint = await run('xmllint', ['--noout', '--schema', XSD, junit]);
    expect(lint.code, lint.stderr).toBe(0);
    expect((await run('xmllint', ['--xpath', 'count(//testcase)', junit])).stdout.trim()).toBe('2');
    expect((await run('xmllint', ['--xpath', 'string(//testcase[failure]/@name)', junit])).stdout.trim()).toBe('arm64');
    expect((await run('xmllint', ['--xpath', 'string(//testcase/failure)', junit])).stdout.trim()).toBe(DIFFERING.join('\n'));
    // The page, as a browser shows it.
    await inChromium(join(out, 'index.html'), async (page) => {
      const cell = page.locator('td[data-cell="bookworm/essential/arm64"]');
      expect(await cell.locator('.verdict').textContent()).toBe('DIFFERENT (2 members)');
      expect(await background(cell)).toBe('rgb(251, 218, 218)');
      expect(await cell.locator('ul.members li').allTextContents()).toEqual(DIFFERING);
      const ok = page.locator('td[data-cell="bookworm/essential/amd64"]');
      expect(await ok.locator('.verdict').textContent()).toBe('IDENTICAL');
      expect(await background(ok)).toBe('rgb(215, 245, 221)');
      // Row and columns: one row, architectures as columns.
      expect(await page.locator('table#matrix thead th').allTextContents()).toEqual(['suite/variant', 'amd64', 'arm64']);
      expect(await page.locator('table#matrix tbody th').allTextContents()).toEqual(['bookworm/essential']);
      await page.screenshot({ path: join(OUTPUT, 'summary-different.png'), fullPage: true });
      // The link reaches the cell's own report.
      await cell.locator('a.verdict').click();
      expect(await page.locator('p').textContent()).toBe('cell report arm64');
    });
    const md = await readFile(join(out, 'summary.md'), 'utf8');
    expect(md).toContain('| bookworm/essential | ✅ IDENTICAL | ❌ DIFFERENT (2 members): /etc/shells, /var/cache/debconf/templates.dat-old |');
    const json = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
    expect(json.verdict).toBe('different');
    expect(json.cells.map((c: { name: string; verdict: string }) => `${c.name} ${c.verdict}`)).toEqual(['bookworm/essential/amd64 identical', 'bookworm/essential/arm64 different']);
  });

  it('a malformed report is exit 3 naming the file, and nothing is written', async () => {
    const broken = await reportDir('broken', '{"version": 1, "verdict": "identical", ');
    const out = join(work, 'out-broken');
    const r = await crossroot(['summary', '--out', out, identical, broken]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(new RegExp(`^crossroot: ${join(broken, 'report.json')}: not JSON`));
    expect((await run('test', ['-e', out])).code).toBe(1);
    // a compare report is not a verify report: it names no cell
    const plain = await reportDir('plain', { ...cellReport('s390x', 'identical', []), cell: undefined });
    const p = await crossroot(['summary', '--out', out, plain]);
    expect(p.code).toBe(3);
    expect(p.stderr).toContain(`${join(plain, 'report.json')}: no "cell" object`);
  });

  it('a missing report is exit 3 naming the file', async () => {
    const empty = join(work, 'empty');
    await mkdir(empty, { recursive: true });
    const r = await crossroot(['summary', '--out', join(work, 'out-missing'), identical, empty]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`crossroot: ${join(empty, 'report.json')}: missing`);
  });
});

// A runner without binfmt_misc entries, made real without touching the host's: a user
// namespace mounts its own, empty binfmt_misc (Linux 6.7 and later), so no arm64 binary runs in it.
const probe = await run('unshare', ['--user', '--map-root-user', '--mount', 'sh', '-c', 'mount -t binfmt_misc none /proc/sys/fs/binfmt_misc && ! arch-test arm64']);
const noBinfmt = probe.code === 0;

describe('a cell that fails for a host reason', () => {
  it.skipIf(!noBinfmt)(
    `is reported as HOST ERROR, not DIFFERENT${noBinfmt ? '' : ' (skipped: this kernel gives a user namespace no binfmt_misc of its own, so "no binfmt" cannot be made here)'}`,
    async () => {
      const report = join(work, 'no-binfmt');
      const v = await run('unshare', [
        '--user', '--map-root-user', '--mount', 'sh', '-c',
        'mount -t binfmt_misc none /proc/sys/fs/binfmt_misc && exec "$0" "$@"',
        process.execPath, CLI, 'verify', '--arch', 'arm64', '--variant', 'essential', '--report', report, 'bookworm',
      ]);
      expect(v.code, v.stderr).toBe(4);
      expect(v.stderr).toContain('arm64 binaries cannot run on this');
      const doc = JSON.parse(await readFile(join(report, 'report.json'), 'utf8'));
      expect([doc.verdict, doc.error.code, doc.cell.architecture, doc.cell.lockfile]).toEqual(['host-error', 'HOST_NO_EMULATION', 'arm64', null]);

      const out = join(work, 'out-host');
      const r = await crossroot(['summary', '--out', out, identical, report]);
      expect(r.code, r.stderr).toBe(4); // nothing differs, but not every cell was verified
      const junit = join(out, 'junit.xml');
      expect((await run('xmllint', ['--noout', '--schema', XSD, junit])).code).toBe(0);
      expect((await run('xmllint', ['--xpath', 'string(//testcase[error]/error/@type)', junit])).stdout.trim()).toBe('HOST_NO_EMULATION');
      expect((await run('xmllint', ['--xpath', 'count(//failure)', junit])).stdout.trim()).toBe('0');
      await inChromium(join(out, 'index.html'), async (page) => {
        const cell = page.locator('td[data-cell="bookworm/essential/arm64"]');
        expect(await cell.locator('.verdict').textContent()).toBe('HOST ERROR (not verified)');
        expect(await cell.locator('pre.error').textContent()).toContain('HOST_NO_EMULATION: arm64 binaries cannot run on this');
        expect(await background(cell)).not.toBe('rgb(251, 218, 218)');
        expect(await page.locator('td.different').count()).toBe(0);
        await page.screenshot({ path: join(OUTPUT, 'summary-host-error.png'), fullPage: true });
      });
      // With a differing cell as well, the differing one decides: exit 1.
      const amd64Differs = await reportDir('amd64-differs', cellReport('amd64', 'different', DIFFERING));
      expect((await crossroot(['summary', '--out', join(work, 'out-both'), amd64Differs, report])).code).toBe(1);
      // Two reports for one cell: one would hide the other.
      const twice = await crossroot(['summary', '--out', join(work, 'out-twice'), different, report]);
      expect([twice.code, twice.stderr.trim()]).toEqual([2, `crossroot: two reports for bookworm/essential/arm64: ${different} and ${report}`]);
    },
  );
});
