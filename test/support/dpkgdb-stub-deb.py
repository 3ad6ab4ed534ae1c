#!/usr/bin/env python3
"""Copy a .deb with its maintainer scripts replaced by no-op stubs -- for the dpkg-db oracle tests.

Usage: dpkgdb-stub-deb.py IN.deb OUT.deb [--keep-scripts] [--stub FILE] [--mode MEMBER=OCTAL]...

Keeps every ar member byte for byte except control.tar.*, which is rewritten with the
same member order, metadata and compression; the scripts preinst, postinst, prerm and
postrm (those that exist) become "#!/bin/sh\nexit 0\n" with their original mode.
--stub FILE takes the stub's text from FILE; --keep-scripts leaves the scripts alone; --mode sets a control member's mode (dpkg-deb
--build refuses scripts that are not 0555..0775, dpkg itself takes any).
`config` and every other control file (triggers, templates, md5sums, ...) are kept, so
real dpkg installs the same database files, but no package code runs on the host.
"""
import io
import sys
import tarfile

STUB = b"#!/bin/sh\nexit 0\n"
SCRIPTS = {"preinst", "postinst", "prerm", "postrm"}


def read_ar(data):
    if data[:8] != b"!<arch>\n":
        raise SystemExit("not an ar archive")
    pos, members = 8, []
    while pos < len(data):
        header = data[pos:pos + 60]
        name = header[0:16].decode().rstrip().rstrip("/")
        size = int(header[48:58].decode().strip())
        body = data[pos + 60:pos + 60 + size]
        members.append((header, name, body))
        pos += 60 + size + (size & 1)
    return members


def write_ar(members):
    out = [b"!<arch>\n"]
    for header, _name, body in members:
        header = header[:48] + str(len(body)).encode().ljust(10) + header[58:]
        out.append(header)
        out.append(body)
        if len(body) & 1:
            out.append(b"\n")
    return b"".join(out)


def stub_control(body, name, keep_scripts, modes, stub):
    mode = name[len("control.tar"):].lstrip(".")
    kind = {"": "", "gz": "gz", "xz": "xz"}[mode]
    src = tarfile.open(fileobj=io.BytesIO(body), mode="r:" + kind if kind else "r:")
    out = io.BytesIO()
    dst = tarfile.open(fileobj=out, mode="w:" + kind if kind else "w", format=src.format)
    for member in src.getmembers():
        data = src.extractfile(member).read() if member.isfile() else None
        base = member.name[2:] if member.name.startswith("./") else member.name
        if member.isfile() and base in SCRIPTS and not keep_scripts:
            data = stub
            member.size = len(data)
        if base in modes:
            member.mode = modes[base]
        dst.addfile(member, io.BytesIO(data) if data is not None else None)
    dst.close()
    return out.getvalue()


def main():
    src, dst = sys.argv[1], sys.argv[2]
    keep_scripts = "--keep-scripts" in sys.argv[3:]
    modes = {}
    stub = STUB
    args = sys.argv[3:]
    for i, arg in enumerate(args):
        if arg == "--mode":
            member, mode = args[i + 1].split("=")
            modes[member] = int(mode, 8)
        if arg == "--stub":
            with open(args[i + 1], "rb") as f:
                stub = f.read()
    with open(src, "rb") as f:
        members = read_ar(f.read())
    new = []
    for header, name, body in members:
        if name.startswith("control.tar"):
            body = stub_control(body, name, keep_scripts, modes, stub)
        new.append((header, name, body))
    with open(dst, "wb") as f:
        f.write(write_ar(new))


main()
