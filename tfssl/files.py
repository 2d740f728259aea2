"""Atomic file writes: a reader (or a resumed run) sees the old file or the complete new one,
never a half-written one, even when the writer is killed."""

import contextlib
import json
import os
import uuid


@contextlib.contextmanager
def atomic_write(path):
    """Yields a temporary path beside `path`; on a clean exit that file replaces `path` in one
    `os.replace`, on an exception it is removed and `path` is left as it was.

    The temporary name keeps `path`'s extension, so writers that add a missing one (`np.savez`
    adds `.npz`) write exactly the yielded path. The parent directory is created if needed.
    """
    directory, name = os.path.split(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    stem, extension = os.path.splitext(name)
    tmp = os.path.join(directory, f".{stem}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}{extension}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def write_json(values, path):
    """Writes `values` to `path` as indented, key-sorted JSON, atomically."""
    with atomic_write(path) as tmp, open(tmp, "w") as f:
        json.dump(values, f, indent=2, sort_keys=True)
