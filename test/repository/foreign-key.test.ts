// Signatures against the real gpgv: an InRelease (or Release.gpg) made with a key outside the
// keyring, and a Release with no signature at all where one is required, are refused (exit 3
// naming the file); the same files pass with the key's own keyring, so the refusal is the key's.
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crossroot, runBuffer } from '../support/cli.js';
import { makeFlatRepo } from '../support/synthetic-repo.js';
import { expectExit3Naming } from '../support/exit-errors.js';

const DEBIAN_KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';

let work = '';
let gnupg = '';
/** The throwaway key's public keyring (binary, as --keyring and signed-by take it). */
let ownKeyring = '';
let base = '';

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'crossroot-foreign-key-'));
  gnupg = join(work, 'gnupg');
  await mkdir(gnupg, { mode: 0o700 });
  const env = { ...process.env, GNUPGHOME: gnupg };
  await runBuffer('gpg', ['--batch', '--pinentry-mode', 'loopback', '--passphrase', '', '--quick-gen-key', 'crossroot test archive <archive@test.invalid>', 'ed25519', 'sign', '1d'], { env });
  ownKeyring = join(work, 'own.gpg');
  await writeFile(ownKeyring, await runBuffer('gpg', ['--batch', '--export', 'archive@test.invalid'], { env }));
  base = join(work, 'repo');
  await makeFlatRepo(base, [{ name: 'victim', version: '1', fields: { Essential: 'yes', Priority: 'required' }, files: { 'usr/share/victim': 'x' } }]);
}, 120_000);
afterAll(async () => {
  // gpg-agent started for GNUPGHOME: stop it, then remove everything.
  await runBuffer('gpgconf', ['--kill', 'gpg-agent'], { env: { ...process.env, GNUPGHOME: gnupg } }).catch(() => undefined);
  await rm(work, { recursive: true, force: true });
});

let n = 0;
/** A copy of the repository signed by the throwaway key as `how`, without its plain Release if `how` is inrelease. */
async function signedRepo(how: 'inrelease' | 'detached' | 'unsigned'): Promise<string> {
  const dir = join(work, `repo-${++n}`);
  await runBuffer('cp', ['-a', base, dir]);
  const env = { ...process.env, GNUPGHOME: gnupg };
  if (how === 'inrelease') {
    await runBuffer('gpg', ['--batch', '--yes', '--digest-algo', 'SHA256', '--clearsign', '-o', join(dir, 'InRelease'), join(dir, 'Release')], { env });
    await rm(join(dir, 'Release'));
  } else if (how === 'detached') {
    await runBuffer('gpg', ['--batch', '--yes', '--digest-algo', 'SHA256', '--detach-sign', '--armor', '-o', join(dir, 'Release.gpg'), join(dir, 'Release')], { env });
  }
  return dir;
}

function resolve(dir: string, ...extra: string[]) {
  return crossroot(['resolve', '--arch', 'amd64', '--variant', 'essential', '--cache-dir', `${dir}-cache`, ...extra, 'bookworm', `deb file://${dir} ./`]);
}


describe('a Release signed by a key outside the keyring', () => {
  it('the real gpgv with the Debian archive keyring rejects the throwaway key (oracle for the cases below)', async () => {
    const dir = await signedRepo('inrelease');
    await expect(runBuffer('gpgv', ['--keyring', DEBIAN_KEYRING, join(dir, 'InRelease')])).rejects.toThrow(/No public key/);
    await runBuffer('gpgv', ['--keyring', ownKeyring, join(dir, 'InRelease')]);
  });

  it('an InRelease signed by a foreign key: exit 3 naming it, nothing cached; with that key as --keyring it resolves', async () => {
    const dir = await signedRepo('inrelease');
    const r = await resolve(dir);
    expectExit3Naming(r, `file://${dir}/./InRelease`, 'signature check failed');
    expect(await readdir(`${dir}-cache`).catch(() => [])).toEqual([]);
    const own = await resolve(dir, '--keyring', ownKeyring);
    expect(own.code, own.stderr).toBe(0);
    expect(own.stdout).toContain('victim 1 all');
  });

  it('a Release with a Release.gpg by a foreign key: exit 3 naming it; with that key as --keyring it resolves', async () => {
    const dir = await signedRepo('detached');
    expectExit3Naming(await resolve(dir), `file://${dir}/./Release`, 'signature check failed');
    const own = await resolve(dir, '--keyring', ownKeyring);
    expect(own.code, own.stderr).toBe(0);
  });

  it('a foreign key named by the source\'s own signed-by is accepted (the refusal above is made by the keyring, not by the files)', async () => {
    const dir = await signedRepo('inrelease');
    const r = await crossroot(['resolve', '--arch', 'amd64', '--variant', 'essential', '--cache-dir', `${dir}-cache`, 'bookworm', `deb [signed-by=${ownKeyring}] file://${dir} ./`]);
    expect(r.code, r.stderr).toBe(0);
  });
});

describe('an unsigned Release where a signed one is required', () => {
  it('a Release without InRelease or Release.gpg: exit 3 naming it and saying it is not signed', async () => {
    const dir = await signedRepo('unsigned');
    expectExit3Naming(await resolve(dir), `file://${dir}/./Release`, 'not signed');
  });

  it('an InRelease that is a plain, unsigned Release: exit 3 naming it', async () => {
    const dir = await signedRepo('unsigned');
    await runBuffer('mv', [join(dir, 'Release'), join(dir, 'InRelease')]);
    expectExit3Naming(await resolve(dir), `file://${dir}/./InRelease`, 'signature check failed');
  });

  it('a signed InRelease whose body is then changed: exit 3 naming it', async () => {
    const dir = await signedRepo('inrelease');
    const text = (await runBuffer('cat', [join(dir, 'InRelease')])).toString();
    expect(text).toMatch(/^Date: /m);
    await writeFile(join(dir, 'InRelease'), text.replace(/^Date: .*$/m, 'Date: Sat, 01 Jan 2000 00:00:00 UTC'));
    expectExit3Naming(await resolve(dir, '--keyring', ownKeyring), `file://${dir}/./InRelease`, 'BADSIG');
  });
});
