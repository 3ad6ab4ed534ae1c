#!/usr/bin/env python3
"""Builds a .deb whose data.tar holds the members described in a JSON list (argv[2]), with
names and link targets exactly as given -- including the hostile ones dpkg-deb would never
write. argv[1] is the output path. Each member: {"name", "type": file|dir|symlink|hardlink|char|block|fifo,
"data"?, "link"?, "mode"?, "major"?, "minor"?, "typeflag"? (a raw typeflag character: an unknown
member type), "pax"? (pax extended header records: the archive is then written in pax format)}.
argv[3] is the Package name ("-": no Package field), argv[4] more control fields."""
import io, json, os, subprocess, sys, tarfile, tempfile

out, spec = sys.argv[1], json.loads(sys.argv[2])
name = sys.argv[3] if len(sys.argv) > 3 else "evil"
extra = sys.argv[4] if len(sys.argv) > 4 else ""

def tar_bytes(members):
    buf = io.BytesIO()
    fmt = tarfile.PAX_FORMAT if any("pax" in m for m in members) else tarfile.GNU_FORMAT
    with tarfile.open(fileobj=buf, mode="w", format=fmt, encoding="utf-8", errors="surrogateescape") as tf:
        for m in members:
            ti = tarfile.TarInfo(m["name"])
            ti.mtime = 1700000000
            ti.mode = m.get("mode", 0o755 if m["type"] == "dir" else 0o644)
            data = m.get("data", "").encode()
            if m["type"] == "dir": ti.type = tarfile.DIRTYPE
            elif m["type"] == "symlink": ti.type = tarfile.SYMTYPE; ti.linkname = m["link"]
            elif m["type"] == "hardlink": ti.type = tarfile.LNKTYPE; ti.linkname = m["link"]
            elif m["type"] in ("char", "block"):
                ti.type = tarfile.CHRTYPE if m["type"] == "char" else tarfile.BLKTYPE
                ti.devmajor, ti.devminor = m.get("major", 0), m.get("minor", 0)
            elif m["type"] == "fifo": ti.type = tarfile.FIFOTYPE
            else: ti.size = len(data)
            if "typeflag" in m: ti.type = m["typeflag"].encode()
            if "pax" in m: ti.pax_headers = m["pax"]
            tf.addfile(ti, io.BytesIO(data) if ti.size else None)
    return buf.getvalue()

control = tar_bytes([{"name": "./", "type": "dir"},
                     {"name": "./control", "type": "file",
                      "data": ("" if name == "-" else f"Package: {name}\n") + f"Version: 1\nArchitecture: all\n{extra}Maintainer: t <t@t>\nDescription: hostile test package\n"}])
data = tar_bytes(spec)
with tempfile.TemporaryDirectory() as d:
    for name, content in (("debian-binary", b"2.0\n"), ("control.tar", control), ("data.tar", data)):
        with open(os.path.join(d, name), "wb") as f:
            f.write(content)
    if os.path.exists(out):
        os.unlink(out)
    subprocess.run(["ar", "qcD", os.path.abspath(out), "debian-binary", "control.tar", "data.tar"], cwd=d, check=True)
