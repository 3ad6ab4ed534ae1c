// The fix printed when the host's qemu-user cannot run a target fits the host's binfmt_misc state
// (read from /proc here, and arch-test, as the oracle): a qemu registered but too old is not
// told to "apt-get install qemu-user-static" again; a disabled entry is told to enable that
// entry; armel and armhf share qemu-arm, so switching one switches the other, and both are back
// afterwards.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { CrossrootError } from '../../src/errors.js';
import { ensureCanRun } from '../../src/install/chroot.js';
import { run } from '../support/cli.js';
import { withEmulation, withoutEmulation } from '../support/emulation.js';

const LOONG = '/proc/sys/fs/binfmt_misc/qemu-loongarch64';
const loongEntry = (await readFile(LOONG, 'utf8').catch(() => '')).split('\n')[0];
const loongRuns = (await run('arch-test', ['loong64'])).code === 0;
const tooOld = loongEntry === 'enabled' && !loongRuns;
const armEntry = (await readFile('/proc/sys/fs/binfmt_misc/qemu-arm', 'utf8').catch(() => '')).split('\n')[0];

async function failure(arch: string): Promise<CrossrootError> {
  const err = await ensureCanRun(arch, 'this test').then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(CrossrootError);
  return err as CrossrootError;
}

describe('the fix for a host that cannot run a target', () => {
  it.skipIf(!tooOld)(`a registered qemu too old for the target is named as such, not "apt-get install qemu-user-static"${tooOld ? '' : ` — skipped: ${LOONG} is not an enabled entry that arch-test rejects here`}`, async () => {
    const err = await failure('loong64');
    expect(err.code).toBe('HOST_NO_EMULATION');
    expect(err.message).toContain(`binfmt_misc ${LOONG} is enabled, but its qemu (`);
    expect(err.message).toContain('too old');
    expect(err.message).not.toContain('apt-get install qemu-user-static binfmt-support');
    expect(err.message).not.toContain('update-binfmts --enable');
  });

  it.skipIf(armEntry !== 'enabled')(`armel and armhf share qemu-arm: off for one is off for both, named as shared, and both run again after${armEntry === 'enabled' ? '' : ' — skipped: no enabled qemu-arm entry here'}`, { timeout: 3_600_000 }, async () => {
    await withoutEmulation('armel', async () => {
      for (const [arch, other] of [['armhf', 'armel'], ['armel', 'armhf']] as const) {
        const err = await failure(arch);
        expect(err.message).toContain(`binfmt_misc /proc/sys/fs/binfmt_misc/qemu-arm (the entry ${arch} shares with ${other}) is disabled`);
        expect(err.message).toContain('update-binfmts --enable qemu-arm');
        expect(err.message).not.toContain('too old');
      }
    });
    await withEmulation('armhf', async () => {
      expect((await run('arch-test', ['armhf'])).code).toBe(0);
      expect((await run('arch-test', ['armel'])).code).toBe(0);
      await ensureCanRun('armel');
      await ensureCanRun('armhf');
    });
  });
});
