// Compare reports: golden text and JSON, JUnit against the Jenkins schema (xmllint), HTML in headless Chromium.
import { chmod, mkdir, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JSON_REPORT_SCHEMA } from '../../src/compare/report-json.js';
import { REPO_ROOT, crossroot, run } from '../support/cli.js';
import { MTIME, copyTree, makeBase, pokeByte, removeDir, setMtimes, setXattr, tarTree, workDir } from './trees.js';

const GOLDEN = join(REPO_ROOT, 'golden/compare');
const XSD = new URL('./fixtures/junit-10.xsd', import.meta.url).pathname;
const OUTPUT = join(REPO_ROOT, 'test-output');
/** A member name that is also markup: reports must show it, not interpret it. */
const HOSTILE = 'etc/<i>x&amp;y"\'.conf';

let work = '';

beforeAll(async () => {
  work = await workDir('reports');
  const base = join(work, 'base');
  const changed = join(work, 'changed');
  await makeBase(base);
  await copyTree(base, changed);
  // one of (almost) every kind
  const motd = (await readFile(join(changed, 'etc/motd'))).toString().replace('line 7 of', 'line seven of');
  await writeFile(join(changed, 'etc/motd'), motd);
  await chmod(join(changed, 'etc/hostname'), 0o600);
  await rm(join(changed, 'bin'));
  await symlink('usr/sbin', join(changed, 'bin'));
  const lib = await readFile(join(changed, 'usr/lib/libx.so.1'));
  await rm(join(changed, 'usr/lib/libx.so.1.0'));
  await writeFile(join(changed, 'usr/lib/libx.so.1.0'), lib);
  await chmod(join(changed, 'usr/lib/libx.so.1.0'), 0o644);
  await writeFile(join(changed, HOSTILE), 'hostile\n');
  await chmod(join(changed, HOSTILE), 0o644);
  await rm(join(changed, 'usr/share/doc/README'));
  await setXattr(join(changed, 'var/data'), 'user.crossroot', 'changed');
  await pokeByte(join(changed, 'usr/bin/tool'), 4242, 0);
  await setMtimes(changed);
  await run('touch', ['-d', `@${MTIME + 3600}`, join(changed, 'etc/os-release')]);
  await tarTree(base, join(work, 'base.tar'));
  await tarTree(changed, join(work, 'changed.tar'));
  await mkdir(OUTPUT, { recursive: true });
});
afterAll(() => removeDir(work));

/** Compares with a golden file, or rewrites it when UPDATE_GOLDEN=1. */
async function golden(name: string, actual: string): Promise<void> {
  const path = join(GOLDEN, name);
  if (process.env.UPDATE_GOLDEN === '1') {
    await mkdir(GOLDEN, { recursive: true });
    await writeFile(path, actual);
  }
  expect(actual).toBe(await readFile(path, 'utf8'));
}

// relative names, run from the work directory: reports hold no temporary paths
const compare = (...args: string[]) => crossroot(['compare', ...args], { cwd: work });

describe('text and JSON reports', () => {
  it('text report matches golden/compare/report.txt', async () => {
    const r = await compare('base.tar', 'changed.tar');
    expect(r.code, r.stderr).toBe(1);
    await golden('report.txt', r.stdout);
  });

  it('JSON report matches golden/compare/report.json and its documented schema', async () => {
    const r = await compare('--json', 'base.tar', 'changed.tar');
    expect(r.code, r.stderr).toBe(1);
    await golden('report.json', r.stdout);
    const doc = JSON.parse(r.stdout);
    expect(Object.keys(doc)).toEqual(['version', 'identical', 'a', 'b', 'summary', 'differences']);
    expect(doc.version).toBe(1);
    expect(Object.keys(doc.summary.kinds)).toEqual([
      'missing-in-a', 'missing-in-b', 'type', 'hardlink', 'mode', 'owner', 'owner-name', 'mtime', 'linkname', 'device', 'xattr', 'content',
    ]);
    expect(doc.summary.differences).toBe(doc.differences.length);
    for (const d of doc.differences) expect(JSON_REPORT_SCHEMA).toContain(`  ${d.kind} `);
  });

  it('the schema in the module comment and in --help are the same text', async () => {
    const source = await readFile(join(REPO_ROOT, 'src/compare/report-json.ts'), 'utf8');
    const comment = source
      .split('\n')
      .slice(2)
      .filter((l, i, all) => all.slice(0, i + 1).every((x) => x.startsWith('//')))
      .map((l) => l.replace(/^\/\/ ?/, ''));
    expect(comment.join('\n') + '\n').toBe(JSON_REPORT_SCHEMA);
    const help = (await crossroot(['compare', '--help'])).stdout;
    for (const line of JSON_REPORT_SCHEMA.trimEnd().split('\n')) expect(help).toContain(`  ${line}`.trimEnd());
  });

  it('an identical pair says so in every format', async () => {
    const r = await compare('--json', '--junit', 'same.xml', '--html', 'same.html', 'base.tar', 'base');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ identical: true, differences: [], summary: { differences: 0 } });
    expect(await readFile(join(work, 'same.xml'), 'utf8')).toMatch(/tests="1" failures="0"/);
    expect(await readFile(join(work, 'same.html'), 'utf8')).toContain('IDENTICAL');
  });
});

describe('JUnit report', () => {
  it('validates against the Jenkins JUnit schema, one failing testcase per differing member', async () => {
    const r = await compare('--junit', 'junit.xml', 'base.tar', 'changed.tar');
    expect(r.code, r.stderr).toBe(1);
    const file = join(work, 'junit.xml');
    const lint = await run('xmllint', ['--noout', '--schema', XSD, file]);
    expect(lint.code, lint.stderr).toBe(0);
    const json = JSON.parse((await compare('--json', 'base.tar', 'changed.tar')).stdout);
    const xml = await readFile(file, 'utf8');
    const members = json.summary.differing as number;
    expect((xml.match(/<testcase /g) ?? []).length).toBe(members + 1);
    expect((xml.match(/<failure /g) ?? []).length).toBe(members);
    expect(xml).toContain(`tests="${members + 1}" failures="${members}"`);
    expect(xml).toContain('name="identical members"');
    // the hostile name survives as text: xmllint reads it back unchanged
    const names = await run('xmllint', ['--xpath', '//testcase/@name', file]);
    expect(names.stdout).toContain(`/${HOSTILE.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}`);
    const unescaped = await run('xmllint', ['--xpath', `string(//testcase[contains(@name, "conf")]/@name)`, file]);
    expect(unescaped.stdout.trim()).toBe(`/${HOSTILE}`);
    expect((await readdir(work)).filter((f) => f.includes('.tmp-'))).toEqual([]); // written, then renamed
  });
});

describe('HTML report', () => {
  it('shows the summary and one row per differing member in Chromium, loading nothing', async () => {
    const r = await compare('--html', 'report.html', 'base.tar', 'changed.tar');
    expect(r.code, r.stderr).toBe(1);
    const json = JSON.parse((await compare('--json', 'base.tar', 'changed.tar')).stdout);
    const file = join(work, 'report.html');
    const url = pathToFileURL(file).href;
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    try {
      const page = await browser.newPage();
      const requests: string[] = [];
      page.on('request', (req) => requests.push(req.url()));
      await page.goto(url);
      const summary = page.locator('#summary');
      expect(await summary.isVisible()).toBe(true);
      expect(await summary.locator('.verdict').textContent()).toMatch(/^DIFFERENT: \d+ differences in \d+ members/);
      const rows = page.locator('table#differences tbody tr');
      expect(await rows.count()).toBe(json.summary.differing);
      for (let i = 0; i < (await rows.count()); i++) expect(await rows.nth(i).isVisible()).toBe(true);
      expect(await page.locator('#diffs pre.diff').count()).toBe(json.differences.filter((d: { diff?: string | null }) => d.diff).length);
      // the hostile member name is text, not markup
      expect(await page.locator('table#differences td.member').allTextContents()).toContain(`/${HOSTILE}`);
      expect(await page.locator('table#differences i').count()).toBe(0);
      await page.screenshot({ path: join(OUTPUT, 'compare-report.png'), fullPage: true });
      expect(requests.filter((u) => u !== url)).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
