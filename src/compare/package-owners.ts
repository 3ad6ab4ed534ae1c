// Whose is a member — the packages whose dpkg file list (var/lib/dpkg/info/PKG.list, dpkg(1)) names it.

import { normalizeMemberName } from './member-name.js';
import type { TreeSource } from './tree-source.js';

const LIST = /^\/var\/lib\/dpkg\/info\/([^/]+)\.list$/;
/** A file list is a few hundred KiB at most (libc6-dev's is 60 KiB); a bigger one is not read. */
const MAX_LIST_BYTES = 16 * 1024 * 1024;

/**
 * Reads every `var/lib/dpkg/info/*.list` of a root and answers, for the given members, the
 * packages that ship them (a directory is shipped by many). A member no list names was made
 * by a script or by the build itself (`/etc/shells`, `/var/lib/dpkg/status`): it gets no
 * entry. Package names are as dpkg names the list (`libc6:arm64` for Multi-Arch: same).
 *
 * @example
 * (await packageOwners(await openTree('reference.tar', { decompressor }), ['/usr/bin/ls'])).get('/usr/bin/ls') // ['coreutils']
 */
export async function packageOwners(tree: TreeSource, members: Iterable<string>): Promise<Map<string, string[]>> {
  const wanted = new Set(members);
  const out = new Map<string, string[]>();
  if (wanted.size === 0) return out;
  for await (const { member, body } of tree.members()) {
    const m = member.type === 'file' && member.size <= MAX_LIST_BYTES ? LIST.exec(member.name) : null;
    if (m === null) {
      for await (const _ of body); // the tar stream moves on only once a member is read
      continue;
    }
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(c);
    for (const line of Buffer.concat(chunks).toString('utf8').split('\n')) {
      // Every list starts with "/.", the root; dpkg-query -S names no package for it either.
      if (line === '' || line === '/.') continue;
      const name = normalizeMemberName(line);
      if (!wanted.has(name)) continue;
      const owners = out.get(name);
      if (owners === undefined) out.set(name, [m[1]!]);
      else if (!owners.includes(m[1]!)) owners.push(m[1]!);
    }
  }
  for (const owners of out.values()) owners.sort();
  return out;
}
