// Oracles for a .deb: dpkg-deb for control fields, GNU tar + Python's tarfile for the file list.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runBuffer } from './cli.js';

const TAR_LIST = fileURLToPath(new URL('./tar-list.py', import.meta.url));

/** The control file as `dpkg-deb -f` prints it (whole paragraph). */
export async function dpkgDebControl(deb: string): Promise<string> {
  return (await runBuffer('dpkg-deb', ['-f', deb])).toString('utf8');
}

/** One field's value as `dpkg-deb -f DEB FIELD` prints it (without the final newline). */
export async function dpkgDebField(deb: string, field: string): Promise<string> {
  return (await runBuffer('dpkg-deb', ['-f', deb, field])).toString('utf8').replace(/\n$/, '');
}

/** The file list of `dpkg-deb --fsys-tarfile`, read by GNU tar (names) and tarfile (metadata). */
export async function oracleFileList(deb: string): Promise<unknown[]> {
  const dir = await mkdtemp(join(tmpdir(), 'crossroot-oracle-'));
  try {
    const tarFile = join(dir, 'data.tar');
    await writeFile(tarFile, await runBuffer('dpkg-deb', ['--fsys-tarfile', deb]));
    const names = await runBuffer('tar', ['--quoting-style=literal', '-tf', tarFile]);
    await writeFile(join(dir, 'names'), names);
    const json = await runBuffer('sh', ['-c', `python3 "$1" "$2" < "$3"`, 'sh', TAR_LIST, join(dir, 'names'), tarFile]);
    return JSON.parse(json.toString('utf8')) as unknown[];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
