"""Atomic writes: the target holds the old or the complete new content, never a partial one."""

import json
import os

import numpy as np
import pytest

from tfssl.files import atomic_write, write_json


def test_replaces_the_target_on_success_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "new_dir" / "values.json"
    write_json({"b": 1, "a": [2]}, str(path))
    write_json({"top1": 0.5}, str(path))
    assert json.loads(path.read_text()) == {"top1": 0.5}
    assert os.listdir(path.parent) == ["values.json"]


def test_a_failed_write_keeps_the_old_file(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("old: 1\n")
    with pytest.raises(RuntimeError, match="killed"):
        with atomic_write(str(path)) as tmp, open(tmp, "w") as f:
            f.write("new: ")
            raise RuntimeError("killed mid-write")
    assert path.read_text() == "old: 1\n"
    assert os.listdir(tmp_path) == ["params.yaml"]


def test_the_temporary_keeps_the_extension_np_savez_needs(tmp_path):
    """np.savez appends `.npz` to a name without it: the temporary must already end with it."""
    path = tmp_path / "features.npz"
    with atomic_write(str(path)) as tmp:
        assert tmp.endswith(".npz") and os.path.dirname(tmp) == str(tmp_path)
        np.savez(tmp, x=np.arange(3))
    with np.load(path) as arrays:
        np.testing.assert_array_equal(arrays["x"], [0, 1, 2])
    assert os.listdir(tmp_path) == ["features.npz"]
