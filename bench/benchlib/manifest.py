"""What a restore must reproduce: for every entry below a root, its type,
permission bits, size, SHA-256 and mtime (regular files) or target
(symlinks). Two manifests that differ mean a restore that is wrong, which
fails the benchmark loudly: a fast wrong answer is not a result."""

import hashlib
import os
import stat


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def manifest(root):
    entries = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            st = os.lstat(path)
            mode = stat.S_IMODE(st.st_mode)
            if stat.S_ISLNK(st.st_mode):
                entries[rel] = ("symlink", os.readlink(path))
            elif stat.S_ISDIR(st.st_mode):
                entries[rel] = ("dir", mode)
            elif stat.S_ISREG(st.st_mode):
                entries[rel] = ("file", mode, st.st_size, int(st.st_mtime), _sha256(path))
            else:
                entries[rel] = ("other", stat.S_IFMT(st.st_mode))
    return entries


def differences(expected, actual, limit=10):
    """Human-readable differences, at most `limit` of them."""
    out = []
    for rel in sorted(set(expected) | set(actual)):
        want, got = expected.get(rel), actual.get(rel)
        if want != got:
            out.append(f"  {rel}: expected {want}, restored {got}")
            if len(out) >= limit:
                out.append("  ...")
                break
    return out
