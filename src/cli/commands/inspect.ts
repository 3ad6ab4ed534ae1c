// `crossroot inspect X.deb` — fields, maintainer scripts, conffiles and the file list.

import { CrossrootError } from '../../errors.js';
import { inspectDeb, type Inspection } from '../../formats/deb/inspect.js';
import { hostDecompressor } from '../../host/decompress.js';
import { openInput } from '../../host/files.js';
import { parseCommandArgs, type Command } from '../command.js';

const HELP = `Usage: crossroot inspect [--json] FILE.deb...

Print a binary package's control fields, maintainer scripts, conffiles and file list.

Options:
  --json   one JSON document per package:
           { "control": { field: value, ... in file order },
             "scripts": ["preinst", ...], "conffiles": ["/etc/..."],
             "files": [ { "path", "type", "mode", "uid", "gid", "size", "mtime",
                          "linkname" (symlink/hardlink only) } ] }
`;

const TYPE_CHAR: Record<string, string> = { file: '-', dir: 'd', symlink: 'l', hardlink: 'h', char: 'c', block: 'b', fifo: 'p' };

function permissions(mode: number): string {
  const rwx = (bits: number, special: boolean, ch: string) =>
    (bits & 4 ? 'r' : '-') + (bits & 2 ? 'w' : '-') + (special ? (bits & 1 ? ch : ch.toUpperCase()) : bits & 1 ? 'x' : '-');
  return rwx(mode >> 6, (mode & 0o4000) !== 0, 's') + rwx(mode >> 3, (mode & 0o2000) !== 0, 's') + rwx(mode, (mode & 0o1000) !== 0, 't');
}

function text(i: Inspection): string {
  const out: string[] = [];
  for (const [k, v] of Object.entries(i.control)) out.push(`${k}: ${v}`);
  out.push('', `Maintainer scripts: ${i.scripts.length ? i.scripts.join(' ') : '(none)'}`);
  out.push(`Conffiles: ${i.conffiles.length ? '' : '(none)'}`, ...i.conffiles.map((c) => `  ${c}`));
  out.push('', `Files (${i.files.length}):`);
  for (const f of i.files) {
    const date = new Date(f.mtime * 1000).toISOString().slice(0, 16).replace('T', ' ');
    const link = f.type === 'symlink' ? ` -> ${f.linkname}` : f.type === 'hardlink' ? ` link to ${f.linkname}` : '';
    out.push(`${TYPE_CHAR[f.type]}${permissions(f.mode)} ${f.uid}/${f.gid} ${String(f.size).padStart(9)} ${date} ${f.path}${link}`);
  }
  return out.join('\n') + '\n';
}

export const inspectCommand: Command = {
  summary: 'show a .deb: fields, maintainer scripts, conffiles, files (--json)',
  help: HELP,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, { json: { type: 'boolean' } });
    if (positionals.length === 0) throw new CrossrootError('USAGE_ARGS', 'inspect needs a .deb file (see --help)');
    for (const file of positionals) {
      const stream = await openInput(file);
      const inspection = await inspectDeb(stream, { file, decompressor: hostDecompressor() });
      process.stdout.write(values.json ? JSON.stringify(inspection, null, 2) + '\n' : text(inspection));
    }
    return 0;
  },
};
