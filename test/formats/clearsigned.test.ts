// Tests for cleartext-signed message splitting — RFC 9580 §7; oracle: gpgv (--output, and detached re-verification).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CrossrootError } from '../../src/errors.js';
import { splitClearsigned } from '../../src/formats/index/clearsigned.js';
import { run, type RunResult } from '../support/cli.js';

const ARCHIVE_KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';
const LISTS = '/var/lib/apt/lists';

// gpg and gpgv only ever see this throwaway home, never the user's ~/.gnupg.
let home = '';
let testKeyring = '';
const gpgEnv = (): NodeJS.ProcessEnv => ({ ...process.env, GNUPGHOME: home, LC_ALL: 'C' });

function tmp(name: string, content: string): string {
  const f = join(home, name);
  writeFileSync(f, content);
  return f;
}

/** What gpgv writes as the signed text of FILE (`--output -`), whatever its verdict. */
function gpgvOutput(keyring: string, file: string): Promise<RunResult> {
  return run('gpgv', ['--keyring', keyring, '--output', '-', file], { env: gpgEnv() });
}

/** gpgv's verdict on SIG as a detached signature of BODY — apt's own way of checking InRelease. */
async function verifyDetached(keyring: string, body: string, signature: string, tag: string): Promise<RunResult> {
  return run('gpgv', ['--keyring', keyring, tmp(`${tag}.sig`, signature), tmp(`${tag}.body`, body)], { env: gpgEnv() });
}

async function clearsign(text: string, tag: string, digest = 'SHA512'): Promise<string> {
  const input = tmp(`${tag}.txt`, text);
  const out = join(home, `${tag}.asc`);
  const r = await run('gpg', ['--batch', '--yes', '--digest-algo', digest, '--clearsign', '-o', out, input], { env: gpgEnv() });
  if (r.code !== 0) throw new Error(`gpg --clearsign failed: ${r.stderr}`);
  return readFileSync(out, 'utf8');
}

function expectClearsignedError(text: string, pattern: RegExp): CrossrootError {
  try {
    splitClearsigned(text);
  } catch (err) {
    expect(err).toBeInstanceOf(CrossrootError);
    expect((err as CrossrootError).code).toBe('FORMAT_CLEARSIGNED');
    expect((err as CrossrootError).message).toMatch(pattern);
    return err as CrossrootError;
  }
  return expect.unreachable('no error thrown');
}

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'crossroot-gpg-'));
  const gen = await run('gpg', ['--batch', '--passphrase', '', '--quick-gen-key', 'crossroot test <test@example.org>', 'ed25519', 'sign', 'never'], { env: gpgEnv() });
  if (gen.code !== 0) throw new Error(`gpg --quick-gen-key failed: ${gen.stderr}`);
  testKeyring = join(home, 'test-key.gpg');
  const exp = await run('gpg', ['--batch', '--output', testKeyring, '--export'], { env: gpgEnv() });
  if (exp.code !== 0) throw new Error(`gpg --export failed: ${exp.stderr}`);
});

afterAll(() => {
  if (home !== '') rmSync(home, { recursive: true, force: true });
});

describe("the host's real InRelease files", () => {
  const files = readdirSync(LISTS)
    .filter((f) => f.endsWith('_InRelease'))
    .map((f) => join(LISTS, f));

  it('there is at least one to test', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files)('%s: body is what gpgv --output writes, and re-verifies detached', async (file) => {
    const text = readFileSync(file, 'utf8');
    const { body, signature, hashes } = splitClearsigned(text);
    const out = await gpgvOutput(ARCHIVE_KEYRING, file);
    // gpgv ends every line with \n; the signed text has no final line break.
    expect(out.stdout).toBe(`${body}\n`);
    expect(body.startsWith('Origin: ')).toBe(true);
    expect(signature.startsWith('-----BEGIN PGP SIGNATURE-----\n')).toBe(true);
    expect(signature.endsWith('-----END PGP SIGNATURE-----\n')).toBe(true);
    expect(hashes.length).toBeGreaterThan(0);
    // The split parts verify as a detached signature of the body, as apt checks them.
    const v = await verifyDetached(ARCHIVE_KEYRING, body, signature, 'real');
    expect({ code: v.code, stderr: v.stderr }).toMatchObject({ code: 0, stderr: expect.stringMatching(/Good signature/) });
    // ...and one changed byte breaks that, so the check above means something.
    const bad = await verifyDetached(ARCHIVE_KEYRING, body.replace('Origin: ', 'Origin:  '), signature, 'real-bad');
    expect(bad.code).not.toBe(0);
  });

  it.each(files)('%s: CRLF line endings and added trailing blanks change nothing', (file) => {
    const text = readFileSync(file, 'utf8');
    const plain = splitClearsigned(text);
    expect(splitClearsigned(text.replace(/\n/g, '\r\n'))).toEqual(plain);
    expect(splitClearsigned(text.replace(/\n/g, ' \t\n'))).toEqual(plain);
  });
});

describe('synthetic messages signed by gpg', () => {
  // Lines that must be dash-escaped, that look like armor, that carry trailing blanks
  // (which are not signed), empty lines, and no final newline.
  const MESSAGES: [string, string][] = [
    ['dash lines', '- starts with dash space\n-starts with dash\n--\n-\nplain\n'],
    ['armor lookalikes', '-----BEGIN PGP SIGNATURE-----\n-----END PGP SIGNATURE-----\n-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA1\n'],
    ['trailing blanks', 'a  \nb\t\n \t \nc'],
    ['empty lines', '\n\nmiddle\n\n\n'],
    ['no final newline', 'Origin: Debian\nLabel: Debian'],
    ['from lines', 'From me\nFrom: you\n'],
    ['crlf', 'one\r\ntwo  \r\n\r\nthree'],
    ['release-like', 'Origin: Debian\nSHA256:\n 0123 12 main/binary-amd64/Packages\n- x\n'],
  ];

  it.each(MESSAGES)('%s: body is what gpgv writes, and re-verifies detached', async (tag, text) => {
    const signed = await clearsign(text, tag.replace(/ /g, '-'));
    const { body, signature, hashes } = splitClearsigned(signed);
    expect(hashes).toEqual(['SHA512']);
    const out = await gpgvOutput(testKeyring, join(home, `${tag.replace(/ /g, '-')}.asc`));
    expect(out.code).toBe(0);
    // gpgv keeps a CR before the line break; the body's lines are split on LF and CR-stripped.
    expect(out.stdout.replace(/\r\n/g, '\n')).toBe(`${body}\n`);
    const v = await verifyDetached(testKeyring, body, signature, `${tag.replace(/ /g, '-')}-detached`);
    expect(v.code).toBe(0);
  });

  it('undoes dash-escaping of every line, as RFC 9580 allows (even an escaped empty line)', () => {
    const text =
      '-----BEGIN PGP SIGNED MESSAGE-----\n\n- a\n- - b\n- \nc\n' +
      '-----BEGIN PGP SIGNATURE-----\n\niQ==\n=abcd\n-----END PGP SIGNATURE-----\n';
    expect(splitClearsigned(text)).toEqual({
      body: 'a\n- b\n\nc',
      signature: '-----BEGIN PGP SIGNATURE-----\n\niQ==\n=abcd\n-----END PGP SIGNATURE-----\n',
      hashes: [],
    });
  });

  it('reads several Hash headers and comma lists (gpgv accepts them)', async () => {
    const signed = await clearsign('x\n', 'hashes');
    const edited = signed.replace('Hash: SHA512\n', 'Hash: SHA256, SHA512\nHash: SHA384\n');
    expect(splitClearsigned(edited).hashes).toEqual(['SHA256', 'SHA512', 'SHA384']);
    const r = await run('gpgv', ['--keyring', testKeyring, tmp('hashes-edited.asc', edited)], { env: gpgEnv() });
    expect(r.code).toBe(0);
  });
});

describe('malformed input', () => {
  let good = '';
  beforeAll(async () => {
    good = await clearsign('Origin: test\nLabel: test\n', 'malformed-base');
  });
  const [head, sigStart] = ['-----BEGIN PGP SIGNED MESSAGE-----\n', '-----BEGIN PGP SIGNATURE-----\n'];

  it('the unmodified message splits (the cases below differ from it only as stated)', () => {
    expect(splitClearsigned(good).body).toBe('Origin: test\nLabel: test');
  });

  it('rejects empty input and text with no header', () => {
    expectClearsignedError('', /empty input/);
    expectClearsignedError('Origin: Debian\n', /no '-----BEGIN PGP SIGNED MESSAGE-----' line/);
  });

  it('rejects text before the header (gpgv accepts it; apt does not: the parts could differ)', async () => {
    const text = `Origin: evil\n${good}`;
    expectClearsignedError(text, /text before/);
    expect((await run('gpgv', ['--keyring', testKeyring, tmp('pre.asc', text)], { env: gpgEnv() })).code).toBe(0);
  });

  it('rejects armor headers other than Hash, as gpgv does ("invalid clearsig header")', async () => {
    for (const [i, header] of ['Comment: hello', 'hash: SHA512', 'Hash:'].entries()) {
      const text = good.replace('Hash: SHA512\n', `${header}\n`);
      expectClearsignedError(text, /armor header/);
      const r = await run('gpgv', ['--keyring', testKeyring, tmp(`hdr-${i}.asc`, text)], { env: gpgEnv() });
      expect(r.code).not.toBe(0);
    }
  });

  it('rejects a dash line in the armor headers', () => {
    expectClearsignedError(good.replace('Hash: SHA512\n', `Hash: SHA512\n${head}`), /dash in the armor headers/);
  });

  it('rejects a duplicate header and unescaped dash lines in the text', () => {
    expectClearsignedError(good.replace('Origin: test\n', `${head}Origin: test\n`), /second '-----BEGIN PGP SIGNED MESSAGE-----'/);
    expectClearsignedError(good.replace('Origin: test\n', '-Origin: test\n'), /not dash-escaped/);
  });

  it('rejects a missing signature, as gpgv does', async () => {
    const noSig = good.slice(0, good.indexOf(sigStart));
    expectClearsignedError(noSig, /signature is missing/);
    expect((await run('gpgv', ['--keyring', testKeyring, tmp('nosig.asc', noSig)], { env: gpgEnv() })).code).not.toBe(0);
  });

  it('rejects an unclosed signature, as apt does (gpgv accepts it)', async () => {
    const unclosed = good.replace('-----END PGP SIGNATURE-----\n', '');
    expectClearsignedError(unclosed, /not closed/);
    expect((await run('gpgv', ['--keyring', testKeyring, tmp('unclosed.asc', unclosed)], { env: gpgEnv() })).code).toBe(0);
  });

  it('rejects truncation inside the armor headers', () => {
    expectClearsignedError(`${head}Hash: SHA512\n`, /truncated in the armor headers/);
  });

  it('rejects anything after the signature, as apt does (gpgv ignores it)', () => {
    expectClearsignedError(`${good}Origin: evil\n`, /unsigned text after/);
    expectClearsignedError(`${good}\n`, /unsigned text after/);
    expectClearsignedError(`${good}${good}`, /unsigned text after/);
  });

  it('rejects dash lines inside the signature', () => {
    const text = good.replace(sigStart, `${sigStart}${head}`);
    expectClearsignedError(text, /dash in the signature/);
  });

  it('accepts a second signature block, as apt does', () => {
    const sig = good.slice(good.indexOf(sigStart));
    const { signature } = splitClearsigned(`${good}${sig}`);
    expect(signature).toBe(`${sig}${sig}`);
  });

  it('reports the line number of the problem', () => {
    const err = expectClearsignedError(good.replace('Label: test\n', '-Label: test\n'), /not dash-escaped/);
    expect(err.context.line).toBe(good.split('\n').indexOf('Label: test') + 1);
  });
});
