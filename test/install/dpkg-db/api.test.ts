// The database API's contract: coded errors with context, misuse refused, queries.
// (What the database writes is checked against real dpkg in the *-oracle tests.)
import { mkdir, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CrossrootError } from '../../../src/errors.js';
import { DpkgDatabase, type MaintScriptCall, type UnpackInput } from '../../../src/install/dpkg-db/database.js';
import { removeTree } from '../../support/dpkgdb-oracle.js';

let scratch: string;
let n = 0;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'crossroot-dpkgdb-api-'));
});
afterAll(async () => {
  if (scratch !== undefined) await removeTree(scratch);
});

async function freshRoot(status = ''): Promise<string> {
  const root = join(scratch, `r${++n}`);
  await mkdir(join(root, 'var/lib/dpkg'), { recursive: true });
  await writeFile(join(root, 'var/lib/dpkg/status'), status);
  await writeFile(join(root, 'var/lib/dpkg/arch'), 'arm64\n');
  return root;
}

function deb(control: string, members: Record<string, [string, number]> = {}): UnpackInput {
  const m = new Map<string, { mode: number; data: Buffer }>([['control', { mode: 0o644, data: Buffer.from(control) }]]);
  for (const [name, [text, mode]] of Object.entries(members)) m.set(name, { mode, data: Buffer.from(text) });
  return { members: m, file: 'test.deb' };
}

const CONTROL = 'Package: hello\nVersion: 1.0-1\nArchitecture: arm64\nMaintainer: T <t@example.org>\nDescription: hi\n';

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(CrossrootError);
    return (err as CrossrootError).code;
  }
}

describe('DpkgDatabase API', () => {
  it('takes the native architecture from var/lib/dpkg/arch', async () => {
    const db = await DpkgDatabase.open(await freshRoot());
    expect(db.nativeArch).toBe('arm64');
  });

  it('refuses actions outside a run, and nested runs', async () => {
    const db = await DpkgDatabase.open(await freshRoot());
    expect(await codeOf(db.unpack(deb(CONTROL), { extract: () => [] }))).toBe('INSTALL_DPKGDB_RUN');
    await db.beginRun();
    expect(await codeOf(db.beginRun())).toBe('INSTALL_DPKGDB_RUN');
    await db.endRun();
  });

  it('reports a corrupt status file with its line', async () => {
    const root = await freshRoot('Package: a\nStatus: install ok installed\nVersion: 1\n\nPackage b\n');
    const err = await DpkgDatabase.open(root).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CrossrootError);
    expect((err as CrossrootError).code).toBe('INSTALL_DPKGDB_PARSE');
    expect((err as CrossrootError).context.line).toBe(5);
  });

  it('refuses database fields in a control file, and bad trigger directives', async () => {
    const db = await DpkgDatabase.open(await freshRoot());
    await db.beginRun();
    expect(await codeOf(db.unpack(deb(`${CONTROL}Status: install ok installed\n`), { extract: () => [] }))).toBe('INSTALL_DPKGDB_PARSE');
    expect(await codeOf(db.unpack(deb(CONTROL, { triggers: ['frobnicate foo\n', 0o644] }), { extract: () => [] }))).toBe('INSTALL_DPKGDB_TRIGGERS');
    expect(await codeOf(db.unpack(deb(CONTROL.replace('arm64', 'mips')), { extract: () => [] }))).toBe('INSTALL_DPKGDB_ARCH');
    expect(await codeOf(db.configure('nosuch'))).toBe('INSTALL_DPKGDB_STATE');
  });

  it('runs scripts with dpkg’s arguments, after writing the database, and answers queries', async () => {
    const root = await freshRoot();
    const db = await DpkgDatabase.open(root);
    const calls: MaintScriptCall[] = [];
    const statusAtScript: string[] = [];
    const runScript = async (call: MaintScriptCall) => {
      calls.push(call);
      statusAtScript.push((await stat(call.path)).mode.toString(8));
    };
    await db.beginRun();
    const res = await db.unpack(deb(CONTROL, { preinst: ['#!/bin/sh\n', 0o644], postinst: ['#!/bin/sh\n', 0o755] }), {
      runScript,
      extract: () => [
        { path: './', type: 'dir' },
        { path: './usr/', type: 'dir' },
        { path: './usr/bin/hello', type: 'file', md5: 'd41d8cd98f00b204e9800998ecf8427e' },
      ],
    });
    expect(res).toEqual({ package: 'hello', obsoletePaths: [] });
    expect(db.package('hello')).toMatchObject({ status: 'unpacked', version: '1.0-1', arch: 'arm64' });
    await db.configure('hello', { runScript });
    await db.endRun();
    expect(calls.map((c) => [c.script, c.args, c.from, c.arch, c.refcount])).toEqual([
      ['preinst', ['install'], 'tmp.ci', 'arm64', 1],
      ['postinst', ['configure', ''], 'info', 'arm64', 1],
    ]);
    // The preinst, not executable for all, was made 0755 before it ran.
    expect(statusAtScript[0]).toBe('100755');
    expect(calls[0]!.path).toBe(join(root, 'var/lib/dpkg/tmp.ci/preinst'));
    expect(db.packages().map((p) => `${p.name} ${p.status}`)).toEqual(['hello installed']);
    expect(await readFile(join(root, 'var/lib/dpkg/info/hello.list'), 'utf8')).toBe('/.\n/usr\n/usr/bin/hello\n');
    expect(await readFile(join(root, 'var/lib/dpkg/info/hello.md5sums'), 'utf8')).toBe('d41d8cd98f00b204e9800998ecf8427e  usr/bin/hello\n');
  });
});
