#!/usr/bin/env python3
"""Compares two directory trees the way a user would check a restore:
same names (raw bytes), types, modes, sizes, contents, mtimes (ns), symlink
targets, xattrs, hardlink groups and sparseness. Prints every difference.

usage: manifest.py compare ORIGINAL RESTORED [--no-owner] [--no-dir-mtime] [--no-sparse]
"""
import hashlib
import os
import stat
import sys


def xattrs(path):
    try:
        names = os.listxattr(path, follow_symlinks=False)
    except OSError:
        return {}
    return {n: os.getxattr(path, n, follow_symlinks=False) for n in sorted(names)}


def digest(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def manifest(root, owner):
    root = os.fsencode(root)
    entries = {}
    inodes = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root)
            st = os.lstat(full)
            e = {"type": stat.S_IFMT(st.st_mode), "mode": stat.S_IMODE(st.st_mode),
                 "xattrs": xattrs(full)}
            if owner:
                e["owner"] = (st.st_uid, st.st_gid)
            if stat.S_ISREG(st.st_mode):
                e.update(size=st.st_size, sha=digest(full), mtime=st.st_mtime_ns,
                         sparse=st.st_blocks * 512 < st.st_size and st.st_size > 1 << 16)
                if st.st_nlink > 1:
                    inodes.setdefault((st.st_dev, st.st_ino), []).append(rel)
            elif stat.S_ISLNK(st.st_mode):
                e.update(target=os.readlink(full))
            elif stat.S_ISDIR(st.st_mode):
                e.update(mtime=st.st_mtime_ns)
            else:
                e.update(mtime=st.st_mtime_ns, rdev=st.st_rdev)
            entries[rel] = e
    links = sorted(sorted(group) for group in inodes.values())
    return entries, links


def main():
    if len(sys.argv) < 4 or sys.argv[1] != "compare":
        print(__doc__, file=sys.stderr)
        return 2
    owner = "--no-owner" not in sys.argv
    a, la = manifest(sys.argv[2], owner)
    b, lb = manifest(sys.argv[3], owner)
    if "--no-sparse" in sys.argv:  # an archive carries a sparse file's bytes, not its holes
        for e in list(a.values()) + list(b.values()):
            e.pop("sparse", None)
    problems = []
    for rel in sorted(set(a) | set(b)):
        if rel not in b:
            problems.append(f"missing in restore: {rel!r}")
        elif rel not in a:
            problems.append(f"extra in restore: {rel!r}")
        elif a[rel] != b[rel]:
            diff = {k: (a[rel].get(k), b[rel].get(k)) for k in set(a[rel]) | set(b[rel])
                    if a[rel].get(k) != b[rel].get(k)}
            problems.append(f"differs: {rel!r}: {diff}")
    if la != lb:
        problems.append(f"hardlink groups differ: {la} vs {lb}")
    for p in problems:
        print(p, file=sys.stderr)
    if not problems:
        print(f"trees equal: {len(a)} entries, {len(la)} hardlink groups")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
