// Golden manifests: a synthetic local repository built by crossroot, so a reviewer sees in a diff what a change does to the output.
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { manifestOf } from '../../src/output/manifest.js';
import { crossroot, REPO_ROOT } from '../support/cli.js';
import { makeFlatRepo, type SyntheticPackage } from '../support/synthetic-repo.js';

// A fixed path: the repository's URI is written into the root's etc/apt/sources.list.
const WORK = '/var/tmp/crossroot-golden';
const GOLDEN = join(REPO_ROOT, 'golden', 'manifests');
// Copied from the build host, as mmdebstrap does (its output depends on them too): not golden.
const HOST_FILES = new Set(['./etc/hostname', './etc/resolv.conf']);

afterAll(async () => {
  await rm(WORK, { recursive: true, force: true });
});

const PACKAGES: SyntheticPackage[] = [
  {
    name: 'golden-base',
    version: '1.0-1',
    fields: { Essential: 'yes', Priority: 'required', 'Pre-Depends': 'golden-lib (>= 2)' },
    files: { 'etc/golden.conf': 'setting=1\n', 'usr/bin/golden': '#!/bin/sh\necho golden\n', 'usr/share/doc/golden-base/README': 'hello\n', 'usr/bin/golden-link': { symlink: 'golden' } },
    control: {
      conffiles: '/etc/golden.conf\n',
      preinst: '#!/bin/sh\nset -e\nmkdir -p "$DPKG_ROOT/var/lib/golden"\n',
      postinst: '#!/bin/sh\nset -e\nif [ "$1" = configure ]; then echo "configured with [$2] by $DPKG_MAINTSCRIPT_PACKAGE" > "$DPKG_ROOT/var/lib/golden/state"; fi\n',
    },
  },
  {
    name: 'golden-lib',
    version: '2.1',
    fields: { Essential: 'yes', Priority: 'required', 'Multi-Arch': 'same' },
    architecture: 'amd64',
    files: { 'usr/lib/x86_64-linux-gnu/libgolden.so.2': 'not really a library\n' },
    control: { triggers: 'activate-noawait golden-trigger\n' },
  },
  {
    name: 'golden-watcher',
    version: '3',
    fields: { Essential: 'yes', Priority: 'required', Depends: 'golden-base' },
    files: { 'usr/share/golden-watcher/watch': 'x\n' },
    control: { triggers: 'interest-noawait golden-trigger\n', postinst: '#!/bin/sh\nset -e\necho "$@" >> "$DPKG_ROOT/var/lib/golden/watcher.log"\n' },
  },
];

describe('golden manifests of a synthetic repository', () => {
  it('essential variant (installer native), compared with golden/manifests/synthetic-essential.manifest', async () => {
    await rm(WORK, { recursive: true, force: true });
    await mkdir(WORK, { recursive: true });
    const repo = await makeFlatRepo(join(WORK, 'repo'), PACKAGES);
    const manifests: string[] = [];
    for (const installer of ['native', 'dpkg']) {
      const out = join(WORK, `${installer}.tar`);
      // The host's tools: three synthetic packages make no tools root.
      const r = await crossroot(['build', '--tools-root', 'host', '--installer', installer, '--arch', 'amd64', '--variant', 'essential', '--cache-dir', join(WORK, 'cache'), 'bookworm', out, repo], {
        env: { ...process.env, SOURCE_DATE_EPOCH: '1700000000' },
      });
      expect(r.code, r.stderr).toBe(0);
      manifests.push(
        (await manifestOf(createReadStream(out), { file: out }))
          .split('\n')
          .filter((l) => !HOST_FILES.has(l.split(' ').slice(6).join(' ')))
          .join('\n'),
      );
    }
    // The host's dpkg (--installer=dpkg) is the oracle for what the golden file holds.
    const [manifest, oracle] = manifests as [string, string];
    expect(manifest).toBe(oracle);
    const golden = join(GOLDEN, 'synthetic-essential.manifest');
    if (process.env.UPDATE_GOLDEN === '1') await writeFile(golden, manifest);
    expect(manifest).toBe(await readFile(golden, 'utf8'));
  }, 300_000);
});
