#!/usr/bin/env python3
"""Oracle: the (member, kind) differences of two tarballs, found with Python's tarfile.

Independent of crossroot's tar reader and comparison code; the kinds follow the rules
documented in src/compare/difference.ts. Prints a JSON list of [member, kind], sorted.
Test-sized inputs only: file contents are read whole.
"""
import hashlib, json, sys, tarfile

TYPES = {tarfile.REGTYPE: "file", tarfile.AREGTYPE: "file", tarfile.CONTTYPE: "file",
         tarfile.DIRTYPE: "dir", tarfile.SYMTYPE: "symlink", tarfile.LNKTYPE: "hardlink",
         tarfile.CHRTYPE: "char", tarfile.BLKTYPE: "block", tarfile.FIFOTYPE: "fifo"}


def norm(name):
    return "/" + "/".join(p for p in name.split("/") if p not in ("", "."))


def load(path):
    members = {}
    with tarfile.open(path, "r:*") as tf:
        for ti in tf:
            m = {"type": TYPES[ti.type], "mode": ti.mode & 0o7777, "owner": (ti.uid, ti.gid),
                 "names": (ti.uname, ti.gname), "mtime": int(ti.mtime),
                 "xattrs": {k[13:]: v for k, v in ti.pax_headers.items() if k.startswith("SCHILY.xattr.")}}
            if m["type"] == "file":
                m["sha256"] = hashlib.sha256(tf.extractfile(ti).read()).hexdigest()
            if m["type"] == "symlink":
                m["linkname"] = ti.linkname
            if m["type"] == "hardlink":
                m["hardlink"] = norm(ti.linkname)
            if m["type"] in ("char", "block"):
                m["device"] = (ti.devmajor, ti.devminor)
            members[norm(ti.name)] = m
    return members


def kinds(x, y):
    if x["type"] != y["type"]:
        return ["hardlink" if {x["type"], y["type"]} == {"hardlink", "file"} else "type"]
    out = []
    for kind, key in (("hardlink", "hardlink"), ("mode", "mode"), ("owner", "owner"), ("owner-name", "names"),
                      ("mtime", "mtime"), ("linkname", "linkname"), ("device", "device"),
                      ("xattr", "xattrs"), ("content", "sha256")):
        if x.get(key) != y.get(key):
            out.append(kind)
    return out


a, b = load(sys.argv[1]), load(sys.argv[2])
found = []
for name in sorted(set(a) | set(b)):
    if name not in a:
        found.append([name, "missing-in-a"])
    elif name not in b:
        found.append([name, "missing-in-b"])
    else:
        found.extend([name, k] for k in kinds(a[name], b[name]))
json.dump(found, sys.stdout)
