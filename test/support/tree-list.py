#!/usr/bin/env python3
"""Oracle-side tree listing: every path under ROOT with type, mode, owner, size, mtime,
link target and content digest, one JSON object per line, sorted by path. Hard links are
shown by a group number (the first path of the inode), so two trees compare equal when the
same paths share inodes."""
import hashlib, json, os, stat, sys

root = sys.argv[1]
skip_mtime_dirs = len(sys.argv) > 2 and sys.argv[2] == "--no-dir-mtime"
inodes = {}
out = []
for dirpath, dirnames, filenames in os.walk(root):
    dirnames.sort()
    for name in sorted(dirnames + filenames) + ([] if dirpath != root else ["."]):
        p = os.path.normpath(os.path.join(dirpath, name))
        rel = os.path.relpath(p, root)
        st = os.lstat(p)
        m = st.st_mode
        rec = {"path": rel, "mode": stat.S_IMODE(m), "uid": st.st_uid, "gid": st.st_gid}
        if stat.S_ISDIR(m):
            rec["type"] = "dir"
            if not skip_mtime_dirs:
                rec["mtime"] = int(st.st_mtime)
        elif stat.S_ISLNK(m):
            rec["type"] = "symlink"; rec["link"] = os.readlink(p); rec["mtime"] = int(st.st_mtime)
        elif stat.S_ISREG(m):
            rec["type"] = "file"; rec["size"] = st.st_size; rec["mtime"] = int(st.st_mtime)
            with open(p, "rb") as f:
                rec["sha256"] = hashlib.sha256(f.read()).hexdigest()
            key = (st.st_dev, st.st_ino)
            if st.st_nlink > 1:
                rec["inode"] = inodes.setdefault(key, rel)
        else:
            rec["type"] = {stat.S_IFCHR: "char", stat.S_IFBLK: "block", stat.S_IFIFO: "fifo", stat.S_IFSOCK: "socket"}[stat.S_IFMT(m)]
            rec["rdev"] = [os.major(st.st_rdev), os.minor(st.st_rdev)]
        out.append(rec)
out.sort(key=lambda r: r["path"])
for r in out:
    print(json.dumps(r, sort_keys=True))
