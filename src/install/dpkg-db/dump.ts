// Writing the dpkg database — dpkg 1.21.23 `lib/dpkg/dump.c` (varbuf_stanza, writedb_stanzas)
// with the field order of `lib/dpkg/parse.c` fieldinfos[].
//
// Rules (each from the w_* writer named):
// - every field is `Name: value\n`, the value as stored (multi-line values keep their
//   `\n ` continuation lines; a value whose first line was empty gives `Name: \n ...`);
//   exceptions: `Conffiles:\n` then ` NAME HASH[ obsolete][ remove-on-upgrade]` lines
//   (w_conffiles), `Triggers-Pending:` / `Triggers-Awaited:` then ` word` per entry;
// - order: Package, Essential, Protected, Status, Priority, Section, Installed-Size,
//   Origin, Maintainer, Bugs, Architecture, Multi-Arch, Source, Version, Config-Version,
//   Replaces, Provides, Depends, Pre-Depends, Recommends, Suggests, Breaks, Conflicts,
//   Enhances, Conffiles, Description, Triggers-Pending, Triggers-Awaited, then the
//   arbitrary fields in control-file order;
// - Essential/Protected only when yes; Multi-Arch only when not `no`; Architecture only
//   when set and not empty; Version only when informative; Config-Version only when
//   informative and the status is not installed, not-installed or triggers-pending;
// - Triggers-Awaited names packages "non-ambiguously" (`:arch` for Multi-Arch: same and
//   for foreign architectures);
// - `status` (writedb_stanzas): the "informative" instances only (pkg_is_informative:
//   want/eflag/status/Config-Version say something, or the installed half has data —
//   Section and Priority do not count), sorted by name then architecture
//   (pkg_sorter_by_nonambig_name_arch), each stanza followed by one empty line — so a
//   non-empty file ends in "\n\n" and an empty database is a 0-byte file.
// - an update record (modstatdb_note_core) is one stanza without the empty line.

import { RELATION_FIELDS, formatRelationField } from './relation-field.js';
import { compareByNonambigNameArch, pkgBinName, type PkgInfo } from './pkginfo.js';
import { formatDbVersion, isInformative } from './version.js';

/**
 * varbuf_stanza() for the installed half of `pkg`.
 *
 * @example
 * formatStanza(pkg, 'amd64') // 'Package: a\nStatus: install ok installed\n...'
 */
export function formatStanza(pkg: PkgInfo, nativeArch: string): string {
  const bin = pkg.installed;
  const out: string[] = [];
  const field = (name: string, value: string | undefined) => {
    if (value !== undefined && value !== '') out.push(`${name}: ${value}\n`);
  };
  out.push(`Package: ${pkg.name}\n`);
  if (bin.essential) out.push('Essential: yes\n');
  if (bin.protected) out.push('Protected: yes\n');
  out.push(`Status: ${pkg.want} ${pkg.eflag} ${pkg.status}\n`);
  field('Priority', pkg.priority);
  field('Section', pkg.section);
  field('Installed-Size', bin.installedSize);
  field('Origin', bin.origin);
  field('Maintainer', bin.maintainer);
  field('Bugs', bin.bugs);
  field('Architecture', bin.arch);
  if (bin.multiarch !== 'no') out.push(`Multi-Arch: ${bin.multiarch}\n`);
  field('Source', bin.source);
  if (isInformative(bin.version)) out.push(`Version: ${formatDbVersion(bin.version)}\n`);
  if (isInformative(pkg.configVersion) && pkg.status !== 'installed' && pkg.status !== 'not-installed' && pkg.status !== 'triggers-pending') {
    out.push(`Config-Version: ${formatDbVersion(pkg.configVersion)}\n`);
  }
  for (const f of RELATION_FIELDS) {
    const v = formatRelationField(f, bin.relations);
    if (v !== undefined) out.push(`${f}: ${v}\n`);
  }
  if (bin.conffiles.length > 0) {
    out.push('Conffiles:\n');
    out.push(
      bin.conffiles.map((c) => ` ${c.name} ${c.hash}${c.obsolete ? ' obsolete' : ''}${c.removeOnUpgrade ? ' remove-on-upgrade' : ''}`).join('\n'),
      '\n',
    );
  }
  field('Description', bin.description);
  if (pkg.trigpend.length > 0) out.push(`Triggers-Pending:${pkg.trigpend.map((t) => ` ${t}`).join('')}\n`);
  if (pkg.trigaw.length > 0) {
    out.push(`Triggers-Awaited:${pkg.trigaw.map((ta) => ` ${pkgBinName(ta.pend, ta.pend.installed, 'nonambig', nativeArch)}`).join('')}\n`);
  }
  for (const a of bin.arbs) out.push(`${a.name}: ${a.value}\n`);
  return out.join('');
}

/** pkg_is_informative() for the installed half. */
export function isInformativePkg(pkg: PkgInfo): boolean {
  if (pkg.want !== 'unknown' || pkg.eflag !== 'ok' || pkg.status !== 'not-installed' || isInformative(pkg.configVersion)) return true;
  const b = pkg.installed;
  return (
    b.relations.length > 0 ||
    b.description !== undefined ||
    b.maintainer !== undefined ||
    b.origin !== undefined ||
    b.bugs !== undefined ||
    b.installedSize !== undefined ||
    b.source !== undefined ||
    isInformative(b.version) ||
    b.conffiles.length > 0 ||
    b.arbs.length > 0
  );
}

/**
 * writedb_stanzas(): the whole `status` file, as a latin1 string.
 *
 * @example
 * formatStatusFile(pkgs, 'amd64') // '' for an empty database
 */
export function formatStatusFile(pkgs: Iterable<PkgInfo>, nativeArch: string): string {
  // qsort() is not stable, but two instances compare equal only when both name and
  // architecture are equal, which the database never holds twice.
  const sorted = [...pkgs].filter(isInformativePkg).sort((a, b) => compareByNonambigNameArch(a, b, nativeArch));
  return sorted.map((p) => `${formatStanza(p, nativeArch)}\n`).join('');
}
