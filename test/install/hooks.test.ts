// mmdebstrap's hooks: a build with --customize-hook and copy-in equals mmdebstrap's with the
// same hooks byte for byte; every hook directory mmdebstrap ships is built in or refused with
// the reason; hooks run in the sandbox; a failing hook is exit 3 naming it.
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MMDEBSTRAP_HOOKS, SHIPPED_HOOK_DIRECTORIES } from '../../src/install/hooks/hook-list.js';
import { shellWords } from '../../src/install/hooks/shell-words.js';
import { crossroot, REPO_ROOT, run, runBuffer } from '../support/cli.js';
import { mirrorArgument, mmdebstrapTarball } from '../support/mmdebstrap-oracle.js';

const SDE = 1_700_000_000;
const CACHE = join(REPO_ROOT, '.cache', 'archive');
const HAVE_MMDEBSTRAP = existsSync('/usr/bin/mmdebstrap');
let work = '';
// Outside /tmp: copy-in reads it on the host, and mmdebstrap's cache key holds its path.
const FIXTURES = join(REPO_ROOT, '.cache', 'hook-fixtures');

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'crossroot-hooks-'));
  await runBuffer('mkdir', ['-p', FIXTURES]);
  await writeFile(join(FIXTURES, 'greeting.txt'), 'copied in\n', { mode: 0o644 });
  await utimes(join(FIXTURES, 'greeting.txt'), 1_600_000_000, 1_600_000_000);
});
afterAll(() => rm(work, { recursive: true, force: true }));

async function build(out: string, args: string[]) {
  return crossroot(['build', '--cache-dir', CACHE, '--variant', 'essential', ...args, 'bookworm', join(work, out), await mirrorArgument()], {
    env: { ...process.env, SOURCE_DATE_EPOCH: String(SDE) },
  });
}

describe('special hook arguments are split as Perl\'s Text::ParseWords::shellwords splits them', () => {
  const lines = [`copy-in a b /root`, `copy-in "my file" '/etc/x y'`, `tar-in a\\ b /`, `upload  "a\\"b"   c`, `sync-in 'x'"y"z /`];
  it.each(lines)('%s', async (line) => {
    const perl = await runBuffer('perl', ['-MText::ParseWords', '-e', 'print join("\\0", shellwords($ARGV[0]))', line]);
    expect(shellWords(line)).toEqual(perl.toString().split('\0'));
  });
});

describe('mmdebstrap\'s shipped hook directories', () => {
  it.skipIf(!existsSync(MMDEBSTRAP_HOOKS))('each is listed: built in, or refused with a reason — skipped without mmdebstrap\'s hooks', () => {
    expect(Object.keys(SHIPPED_HOOK_DIRECTORIES).sort()).toEqual(readdirSync(MMDEBSTRAP_HOOKS).sort());
  });
  const refused = Object.entries(SHIPPED_HOOK_DIRECTORIES).filter(([, v]) => 'refused' in v);
  it.skipIf(!existsSync(MMDEBSTRAP_HOOKS)).each(refused)('%s is refused before anything is downloaded (exit 2, the reason) — skipped without mmdebstrap\'s hooks', async (name, v) => {
    const r = await crossroot(['build', '--hook-dir', join(MMDEBSTRAP_HOOKS, name), 'bookworm', join(work, `${name}.tar`)]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain((v as { refused: string }).refused);
  });
});

describe('crossroot build with hooks (bookworm amd64 essential, SOURCE_DATE_EPOCH fixed, the host mirror)', () => {
  it.skipIf(!HAVE_MMDEBSTRAP)('--customize-hook and copy-in: cmp-identical to mmdebstrap --mode=root with the same hooks — skipped without mmdebstrap', async () => {
    const hooks = ['--customize-hook', 'echo hello > "$1/etc/motd"', '--customize-hook', `copy-in ${join(FIXTURES, 'greeting.txt')} /root`];
    const [ref, ours] = await Promise.all([
      mmdebstrapTarball({ mode: 'root', arch: 'amd64', variant: 'essential', sourceDateEpoch: SDE, extra: hooks }),
      build('hooks.tar', [...hooks]),
    ]);
    expect(ours.code, ours.stderr.split('\n').slice(-20).join('\n')).toBe(0);
    expect((await runBuffer('tar', ['-xOf', join(work, 'hooks.tar'), './etc/motd'])).toString()).toBe('hello\n');
    expect((await runBuffer('tar', ['-xOf', join(work, 'hooks.tar'), './root/greeting.txt'])).toString()).toBe('copied in\n');
    expect((await run('cmp', [ref, join(work, 'hooks.tar')])).code).toBe(0);
  }, 1_200_000);

  it('a hook writing outside the root is stopped by the sandbox: exit 3 naming it, the host untouched', async () => {
    const escape = join(REPO_ROOT, '.cache', `hook-escape-${process.pid}`);
    const r = await build('escape.tar', ['--customize-hook', `touch ${escape}`]);
    expect(r.code, r.stderr.split('\n').slice(-10).join('\n')).toBe(3);
    expect(r.stderr).toContain(`--customize-hook "touch ${escape}" failed`);
    expect(r.stderr).toMatch(/Read-only file system/);
    expect(existsSync(escape)).toBe(false);
    expect(existsSync(join(work, 'escape.tar'))).toBe(false);
  }, 1_200_000);

  it('a failing special hook is exit 3 naming it; no TARGET', async () => {
    const r = await build('missing.tar', ['--setup-hook', 'copy-in /nonexistent/file /etc']);
    expect(r.code, r.stderr.split('\n').slice(-10).join('\n')).toBe(3);
    expect(r.stderr).toContain('--setup-hook "copy-in /nonexistent/file /etc" failed: /nonexistent/file does not exist');
    expect(existsSync(join(work, 'missing.tar'))).toBe(false);
  }, 1_200_000);
});
