// The emulator of a reference build — which qemu-user runs the target's binaries: none (the
// host's own architecture), the host's binfmt_misc registration, or a static qemu-user taken
// from the suite's own archive for the host's architecture and registered privately
// (install/private-binfmt.ts) when the host's cannot run the target (bookworm's qemu 7.2 and
// sid's loong64).
//
// The qemu from the archive: the package `qemu-user-static` (up to qemu 9.0, /usr/bin/qemu-NAME-static)
// or `qemu-user` (static itself from 9.1, /usr/bin/qemu-NAME), the first whose data.tar holds a
// statically linked binary for the target; its binfmt entry is the package's own
// /usr/share/qemu/binfmt.d/qemu-NAME.conf (or /usr/lib/binfmt.d/), renamed, pointed at the
// cached binary and given the F flag. Fetched like every package: InRelease verified by gpgv,
// the .deb by its SHA256, kept in the download cache; the binary and its entry are extracted
// once into CACHE/qemu-v1/<deb sha256>-NAME, published by one rename.

import { spawn } from 'node:child_process';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, open, readFile, realpath, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CrossrootError } from '../errors.js';
import { readDeb } from '../formats/deb/read.js';
import { hostArchitecture } from '../host/arch.js';
import { architecture } from '../host/architectures.js';
import { hostDecompressor } from '../host/decompress.js';
import { findProgram } from '../host/programs.js';
import { emulationFix, hostCanRun } from '../install/chroot.js';
import { PRIVATE_BINFMT_SETUP_FAILED, spawnWithPrivateBinfmt, type PrivateBinfmt } from '../install/private-binfmt.js';
import { downloadAll } from '../repository/download.js';
import { loadArchive } from '../repository/load.js';
import { DEFAULT_KEYRING, keyringFiles } from '../repository/signature.js';
import { sourceEntries, type ResolveOptions } from './resolve.js';

/** Bumped when what is kept for a qemu changes. */
export const QEMU_DIR = 'qemu-v1';

/** Which qemu-user runs a root's binaries (report.json's cell "emulator"). */
export interface Emulator {
  /** native: no emulation; host: the host's binfmt_misc; archive: a qemu-user from the suite's archive, registered privately. */
  kind: 'native' | 'host' | 'archive';
  /** The Debian package the qemu comes from, and its version (null when not known: a qemu not installed by dpkg). */
  package: string | null;
  version: string | null;
  /** The qemu binary (host path). */
  path: string | null;
  /** Where it comes from: a binfmt_misc entry, or the .deb's archive URI. */
  origin: string;
  /** For `archive`: the private binfmt_misc entry. */
  binfmt?: PrivateBinfmt;
}

function run(program: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', () => resolve({ code: 127, out }));
    child.on('close', (code) => resolve({ code: code ?? 128, out }));
  });
}

/** The host's registration for `arch`: its interpreter, and the dpkg package shipping it. */
async function hostEmulator(qemu: string): Promise<Emulator> {
  const entry = `/proc/sys/fs/binfmt_misc/qemu-${qemu}`;
  const text = await readFile(entry, 'utf8').catch(() => '');
  const interpreter = /^interpreter (.*)$/m.exec(text)?.[1];
  const path = interpreter === undefined ? null : await realpath(interpreter).catch(() => interpreter);
  let pkg: string | null = null;
  let version: string | null = null;
  if (path !== null && findProgram('dpkg-query') !== undefined) {
    const owner = await run('dpkg-query', ['-S', path]);
    pkg = owner.code === 0 ? (owner.out.split(':')[0]?.split(',')[0]?.trim() ?? null) : null;
    if (pkg !== null) {
      const v = await run('dpkg-query', ['-W', '-f', '${Version}', pkg]);
      version = v.code === 0 ? v.out.trim() : null;
    }
  }
  return { kind: 'host', package: pkg, version, path, origin: `binfmt_misc ${entry}` };
}

/** Whether an ELF file is statically linked: it has no PT_INTERP program header. */
async function isStaticElf(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(65536);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    const b = head.subarray(0, bytesRead);
    if (b.length < 64 || b.readUInt32BE(0) !== 0x7f454c46) return false;
    const is64 = b[4] === 2;
    const le = b[5] === 1;
    const u16 = (o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
    const u32 = (o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
    const phoff = is64 ? Number(le ? b.readBigUInt64LE(32) : b.readBigUInt64BE(32)) : u32(28);
    const phentsize = u16(is64 ? 54 : 42);
    const phnum = u16(is64 ? 56 : 44);
    for (let i = 0; i < phnum; i++) {
      const at = phoff + i * phentsize;
      if (at + 4 > b.length) return false;
      if (u32(at) === 3) return false; // PT_INTERP
    }
    return true;
  } finally {
    await fh.close();
  }
}

/** The binfmt entry of a qemu package's conf, for a private instance: our name, our binary, flag F. */
export function privateRegistration(conf: string, qemu: string, interpreter: string): string {
  const line = conf.split('\n').find((l) => l.startsWith(':'));
  const fields = line?.split(':');
  if (fields === undefined || fields.length !== 8) throw new Error(`not a binfmt_misc entry: ${JSON.stringify(line)}`);
  const [, , type, offset, magic, mask, , flags] = fields;
  const withF = flags!.includes('F') ? flags! : `${flags}F`;
  return `:crossroot-${qemu}:${type}:${offset}:${magic}:${mask}:${interpreter}:${withF}`;
}

interface Kept {
  package: string;
  version: string;
  origin: string;
  registration: string;
}

/**
 * Extracts the static qemu for `qemu` and its binfmt entry from a qemu .deb into `dir`
 * (published by one rename); false when the .deb holds no static binary for it.
 */
async function extractQemu(deb: string, file: string, qemu: string, dir: string, record: Omit<Kept, 'registration'>): Promise<boolean> {
  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  const binaries = [`./usr/bin/qemu-${qemu}-static`, `./usr/bin/qemu-${qemu}`];
  const confs = [`./usr/share/qemu/binfmt.d/qemu-${qemu}.conf`, `./usr/lib/binfmt.d/qemu-${qemu}.conf`];
  let binary: string | undefined;
  let conf: string | undefined;
  try {
    await readDeb(createReadStream(deb), {
      file,
      decompressor: hostDecompressor(),
      onData: async (m) => {
        if (m.entry.type !== 'file') return;
        if (binaries.includes(m.entry.path) && binary === undefined) {
          const out = join(tmp, `qemu-${qemu}`);
          const fh = await open(out, 'wx', 0o755);
          try {
            for await (const c of m.body) await fh.write(c);
          } finally {
            await fh.close();
          }
          binary = out;
        } else if (confs.includes(m.entry.path) && conf === undefined) {
          const parts: Buffer[] = [];
          for await (const c of m.body) parts.push(c);
          conf = Buffer.concat(parts).toString('latin1');
        }
      },
    });
    if (binary === undefined || conf === undefined || !(await isStaticElf(binary))) return false;
    const kept: Kept = { ...record, registration: privateRegistration(conf, qemu, join(dir, `qemu-${qemu}`)) };
    await writeFile(join(tmp, 'qemu.json'), JSON.stringify(kept, null, 2) + '\n');
    await rename(tmp, dir).catch((err: NodeJS.ErrnoException) => {
      if (!existsSync(join(dir, 'qemu.json'))) throw err; // else another run published it first
    });
    return true;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** A static qemu-user for `arch` from the suite's archive for the host's architecture, in the cache. */
async function archiveEmulator(opts: ResolveOptions, arch: string, log: (l: string) => void): Promise<Emulator> {
  const qemu = architecture(arch).qemu;
  const host = hostArchitecture();
  const entries = await sourceEntries(opts);
  const keyrings = await keyringFiles(opts.keyrings ?? [DEFAULT_KEYRING]);
  const { index } = await loadArchive(entries, host, {
    suite: opts.suite,
    cache: opts.cache,
    keyrings,
    insecure: opts.insecure,
    ignoreExpiry: opts.ignoreReleaseExpiry === true,
    fetch: opts.fetch,
  });
  const tried: string[] = [];
  for (const name of ['qemu-user-static', 'qemu-user']) {
    const record = index.byName(name).find((r) => r.architecture === host);
    if (record === undefined) continue;
    tried.push(`${name} ${record.version}`);
    const dir = join(opts.cache.dir, QEMU_DIR, `${record.sha256}-${qemu}`);
    const origin = `${record.origin ?? entries[0]?.uri ?? ''}/${record.filename}`.replace(/([^:])\/\/+/g, '$1/');
    if (!existsSync(join(dir, 'qemu.json'))) {
      log(`taking qemu-${qemu} from ${name} ${record.version} (${opts.suite}, ${host})`);
      const [deb] = await downloadAll([{ ...record, origins: [record.origin!] }], opts.cache, { jobs: 1, fetch: opts.fetch });
      await mkdir(join(opts.cache.dir, QEMU_DIR), { recursive: true });
      const file = record.filename.split('/').pop()!;
      if (!(await extractQemu(deb!, file, qemu, dir, { package: name, version: record.version, origin }))) continue;
    }
    const kept = JSON.parse(await readFile(join(dir, 'qemu.json'), 'utf8')) as Kept;
    return { kind: 'archive', package: kept.package, version: kept.version, path: join(dir, `qemu-${qemu}`), origin: kept.origin, binfmt: { registration: kept.registration } };
  }
  throw new CrossrootError(
    'HOST_NO_EMULATION',
    `${arch} binaries cannot run on this ${host} host, and ${opts.suite}'s archive has no static qemu-${qemu} for ${host} ` +
      `(${tried.length === 0 ? 'no qemu-user-static or qemu-user package' : `looked in ${tried.join(', ')}`}); \`crossroot build\` needs no emulation`,
  );
}

/**
 * Checks that a private registration works here (user namespace, binfmt_misc of its own):
 * runs the qemu through it. Exit-4 error naming what failed.
 */
async function probePrivate(e: Emulator, arch: string): Promise<void> {
  const child = await spawnWithPrivateBinfmt(e.path!, ['--version'], e.binfmt!, ['ignore', 'pipe', 'pipe']);
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 128)));
  if (code !== 0) {
    throw new CrossrootError(
      'HOST_NO_PRIVATE_BINFMT',
      `the qemu from ${e.package} ${e.version}, registered in a binfmt_misc of crossroot's own, and this host cannot ` +
        `(${code === PRIVATE_BINFMT_SETUP_FAILED ? 'mounting or registering failed' : `exit ${code}`}: ${out.trim().split('\n').slice(-2).join(' ')}); ` +
        'a binfmt_misc of its own needs Linux 6.7 or later and root',
    );
  }
}

/**
 * The emulator for a reference build of `opts.arch`: none for the host's own architecture;
 * the host's binfmt_misc when `arch-test` says it runs the target; else a qemu-user from the
 * suite's archive, registered privately (checked to work here first).
 *
 * @example
 * const e = await emulatorFor({ ...opts, arch: 'loong64' }); // { kind: 'archive', package: 'qemu-user', version: '1:11.1.3+ds-1', ... }
 */
export async function emulatorFor(opts: ResolveOptions, log: (l: string) => void = () => {}): Promise<Emulator> {
  const arch = opts.arch;
  if (arch === hostArchitecture()) return { kind: 'native', package: null, version: null, path: null, origin: 'the host runs it' };
  const qemu = architecture(arch).qemu;
  if ((await hostCanRun(arch)) === true) return hostEmulator(qemu);
  let e: Emulator;
  try {
    // Root of the whole machine: uid 0 of a user namespace mapping only some ids cannot map them all.
    const ids = (await readFile('/proc/self/uid_map', 'utf8').catch(() => '')).trim().split(/\s+/).join(' ');
    if (process.getuid?.() !== 0 || ids !== '0 0 4294967295') {
      throw new CrossrootError('HOST_EMULATION_NEEDS_ROOT', 'a qemu-user of crossroot\'s own is registered in a user namespace that maps every uid, which needs root (of the initial user namespace): run crossroot verify as root');
    }
    e = await archiveEmulator(opts, arch, log);
    await probePrivate(e, arch);
  } catch (err) {
    // Said as the host's want of emulation, whatever step failed: exit 4, one message.
    if (err instanceof CrossrootError && err.code.startsWith('HOST_') && err.code !== 'HOST_NO_EMULATION') {
      throw new CrossrootError('HOST_NO_EMULATION', `${arch} binaries cannot run on this ${hostArchitecture()} host: the host's binfmt_misc does not run them (${await emulationFix(arch)}); ${err.detail}`);
    }
    throw err;
  }
  log(`running ${arch} binaries with ${e.package} ${e.version}'s qemu-${qemu}, registered for this build only (the host's binfmt_misc is not touched)`);
  return e;
}
