#!/usr/bin/env python3
"""Oracle: lists a tar stream on stdin with Python's tarfile, one JSON object per member.

Only the fields `crossroot inspect --json` reports; the raw stored name comes from
GNU tar's own listing (passed as argv[1], a file with one name per line), because
tarfile normalises directory names (strips the trailing slash).
"""
import json, sys, tarfile

TYPES = {tarfile.REGTYPE: "file", tarfile.AREGTYPE: "file", tarfile.CONTTYPE: "file",
         tarfile.DIRTYPE: "dir", tarfile.SYMTYPE: "symlink", tarfile.LNKTYPE: "hardlink",
         tarfile.CHRTYPE: "char", tarfile.BLKTYPE: "block", tarfile.FIFOTYPE: "fifo"}

names = open(sys.argv[1], encoding="utf-8", errors="surrogateescape").read().split("\n")[:-1]
out = []
with tarfile.open(fileobj=sys.stdin.buffer, mode="r|") as tf:
    for i, ti in enumerate(tf):
        raw = names[i]
        if raw.rstrip("/") != ti.name and not (raw == "./" and ti.name == "."):
            sys.exit(f"GNU tar and tarfile disagree at member {i}: {raw!r} vs {ti.name!r}")
        m = {"path": raw, "type": TYPES[ti.type], "mode": ti.mode & 0o7777, "uid": ti.uid,
             "gid": ti.gid, "size": ti.size if ti.type in (tarfile.REGTYPE, tarfile.AREGTYPE, tarfile.CONTTYPE) else 0,
             "mtime": int(ti.mtime)}
        if ti.type in (tarfile.SYMTYPE, tarfile.LNKTYPE):
            m["linkname"] = ti.linkname
        out.append(m)
if len(out) != len(names):
    sys.exit(f"GNU tar listed {len(names)} members, tarfile {len(out)}")
json.dump(out, sys.stdout)
