"""Removing the work directory at the end. On this kind of file system
(ext4 mounted with discard) each freed file costs milliseconds when deleted
one at a time, over an hour for a --full run, while deletions in parallel
finish some 20x sooner, so the files go from a pool of threads."""

import os
from concurrent.futures import ThreadPoolExecutor

WORKERS = 8
BATCH = 256


def _unlink_all(paths):
    for path in paths:
        os.unlink(path)


def remove_tree(root):
    dirs, batches, batch = [], [], []
    for dirpath, dirnames, filenames in os.walk(root):
        dirs.append(dirpath)
        # os.walk lists symlinks to directories among the directories, and
        # does not enter them: they are unlinked like files.
        names = filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]
        for name in names:
            batch.append(os.path.join(dirpath, name))
            if len(batch) == BATCH:
                batches.append(batch)
                batch = []
    batches.append(batch)
    with ThreadPoolExecutor(WORKERS) as pool:
        for result in [pool.submit(_unlink_all, b) for b in batches]:
            result.result()  # re-raises the first error
    for path in reversed(dirs):  # children were listed after their parents
        os.rmdir(path)
