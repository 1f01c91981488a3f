"""A real source tree for bench/run --tree linux (issue 20): the Linux 6.1
source from Debian's linux-source-6.1, installed on first use, so that the
benchmark also measures ~79k files of real text and not only the generated
tree. And the restore floor: `tar x` of the tree the restores must produce,
from the page cache, into a fresh directory."""

import os
import subprocess
import time

from .processes import BenchError

PACKAGE = "linux-source-6.1"
TARBALL = f"/usr/src/{PACKAGE}.tar.xz"


def ensure_linux_source():
    """The path of the kernel source tarball, installing the package if needed."""
    if os.path.exists(TARBALL):
        return TARBALL
    if os.geteuid() != 0:
        raise BenchError(f"{TARBALL} is missing: install it with \"apt-get install {PACKAGE}\"")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    done = subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", PACKAGE],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    if done.returncode != 0 or not os.path.exists(TARBALL):
        raise BenchError(f"apt-get install {PACKAGE} failed:\n{done.stderr}")
    return TARBALL


def unpacked_tar(work):
    """The tarball decompressed once into the work directory: each run then
    unpacks its tree without xz's ~40 s."""
    path = os.path.join(work, "linux-source.tar")
    if not os.path.exists(path):
        with open(path + ".part", "wb") as out:
            if subprocess.run(["xz", "-dc", ensure_linux_source()], stdout=out).returncode != 0:
                raise BenchError(f"xz -dc {TARBALL} failed")
        os.rename(path + ".part", path)
    return path


def make_tree(work, tree):
    """Unpacks the source into `tree`; returns what report.header shows."""
    os.makedirs(tree)
    done = subprocess.run(["tar", "xf", unpacked_tar(work), "-C", tree, "--strip-components=1"],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise BenchError(f"unpacking the Linux source failed:\n{done.stderr}")
    info = {"kind": "linux", "package": PACKAGE, "files": 0, "bytes": 0, "dirs": 0, "symlinks": 0}
    for dirpath, dirnames, filenames in os.walk(tree):
        info["dirs"] += len(dirnames)
        for name in filenames:
            path = os.path.join(dirpath, name)
            if os.path.islink(path):
                info["symlinks"] += 1
            else:
                info["files"] += 1
                info["bytes"] += os.lstat(path).st_size
    return info


def restore_floor(tree, run_dir):
    """Seconds `tar x` takes to write `tree` into a fresh directory, its
    archive read from the page cache: what no restore can beat on this disk."""
    archive = os.path.join(run_dir, "floor.tar")
    target = os.path.join(run_dir, "restore-floor")
    os.makedirs(target)
    if subprocess.run(["tar", "cf", archive, "-C", tree, "."]).returncode != 0:
        raise BenchError("tar cf of the tree failed")
    with open(archive, "rb") as f:  # into the page cache
        while f.read(1 << 24):
            pass
    os.sync()
    started = time.monotonic()
    # --warning=no-timestamp: the mutator dates changed files a day ahead.
    if subprocess.run(["tar", "xf", archive, "-C", target, "--warning=no-timestamp"]).returncode != 0:
        raise BenchError("tar xf of the tree failed")
    return time.monotonic() - started
