// JSON compare report — `crossroot compare --json`, a stable schema for machines (version 1).
//
// {
//   "version": 1,
//   "identical": boolean,
//   "a": { "path": string, "format": "directory"|"tar"|"tar.gz"|"tar.xz"|"tar.zst",
//          "members": int, "sorted": boolean },
//   "b": { ...the same for b },
//   "summary": { "common": int, "identical": int, "differing": int, "differences": int,
//                "kinds": { "missing-in-a": int, "missing-in-b": int, "type": int,
//                           "hardlink": int, "mode": int, "owner": int, "owner-name": int,
//                           "mtime": int, "linkname": int, "device": int, "xattr": int,
//                           "content": int } },
//   "differences": [ { "member": "/normalized/name", "kind": KIND, "a": A, "b": B, ...} ]
// }
// Members are named "/usr/bin/x" ("/" is the root) whatever the input spelled ("./usr/bin/x").
// "differences" is sorted by member (tar --sort=name order), then kind (the order above).
// "differing" counts members with at least one difference (missing ones included).
// A and B by kind (null = that side does not have it):
//   missing-in-a   a: null, b: MEMBER     MEMBER = { "type", "mode", "uid", "gid", "size",
//   missing-in-b   a: MEMBER, b: null       "mtime", "linkname"? (symlink/hardlink target),
//                                           "sha256"? (regular files) }
//   type           "file"|"dir"|"symlink"|"hardlink"|"char"|"block"|"fifo"
//   hardlink       hardlink target (normalized name) or null for a regular file
//   mode           int (permission bits, 0o7777 at most)
//   owner          { "uid": int, "gid": int }
//   owner-name     { "uname": string, "gname": string }   (only when both inputs record names)
//   mtime          int (seconds since the epoch)
//   linkname       string (symlink target, as stored)
//   device         { "major": int, "minor": int }
//   xattr          { NAME: string|null, ... } the differing attributes only
//   content        { "size": int, "sha256": hex }, plus "offset": int|null (first differing
//                  byte, 0-based), "binary": boolean, "diff": string|null (unified diff of
//                  text files up to 262144 bytes, at most 200 lines)
// Version 1 only ever gains fields; a change in meaning bumps "version".

import type { Comparison } from './compare.js';
import { byMember, kindCounts } from './describe.js';

/** The schema above, as `crossroot compare --help` prints it (a test keeps the two in step). */
export const JSON_REPORT_SCHEMA = `{
  "version": 1,
  "identical": boolean,
  "a": { "path": string, "format": "directory"|"tar"|"tar.gz"|"tar.xz"|"tar.zst",
         "members": int, "sorted": boolean },
  "b": { ...the same for b },
  "summary": { "common": int, "identical": int, "differing": int, "differences": int,
               "kinds": { "missing-in-a": int, "missing-in-b": int, "type": int,
                          "hardlink": int, "mode": int, "owner": int, "owner-name": int,
                          "mtime": int, "linkname": int, "device": int, "xattr": int,
                          "content": int } },
  "differences": [ { "member": "/normalized/name", "kind": KIND, "a": A, "b": B, ...} ]
}
Members are named "/usr/bin/x" ("/" is the root) whatever the input spelled ("./usr/bin/x").
"differences" is sorted by member (tar --sort=name order), then kind (the order above).
"differing" counts members with at least one difference (missing ones included).
A and B by kind (null = that side does not have it):
  missing-in-a   a: null, b: MEMBER     MEMBER = { "type", "mode", "uid", "gid", "size",
  missing-in-b   a: MEMBER, b: null       "mtime", "linkname"? (symlink/hardlink target),
                                          "sha256"? (regular files) }
  type           "file"|"dir"|"symlink"|"hardlink"|"char"|"block"|"fifo"
  hardlink       hardlink target (normalized name) or null for a regular file
  mode           int (permission bits, 0o7777 at most)
  owner          { "uid": int, "gid": int }
  owner-name     { "uname": string, "gname": string }   (only when both inputs record names)
  mtime          int (seconds since the epoch)
  linkname       string (symlink target, as stored)
  device         { "major": int, "minor": int }
  xattr          { NAME: string|null, ... } the differing attributes only
  content        { "size": int, "sha256": hex }, plus "offset": int|null (first differing
                 byte, 0-based), "binary": boolean, "diff": string|null (unified diff of
                 text files up to 262144 bytes, at most 200 lines)
Version 1 only ever gains fields; a change in meaning bumps "version".
`;

/** The report version: bumped when a field changes meaning. */
export const JSON_REPORT_VERSION = 1;

/**
 * The JSON report (schema in `JSON_REPORT_SCHEMA`), pretty-printed, keys in a fixed order.
 *
 * @example
 * JSON.parse(jsonReport(c)).summary.kinds.content // 2
 */
export function jsonReport(c: Comparison): string {
  return JSON.stringify(jsonReportDocument(c), null, 2) + '\n';
}

/** The JSON report as an object (keys in the schema's order), for reports that add to it. */
export function jsonReportDocument(c: Comparison) {
  return {
    version: JSON_REPORT_VERSION,
    identical: c.identical,
    a: c.a,
    b: c.b,
    summary: {
      common: c.common,
      identical: c.identicalMembers,
      differing: byMember(c.differences).size,
      differences: c.differences.length,
      kinds: kindCounts(c.differences),
    },
    differences: c.differences,
  };
}
