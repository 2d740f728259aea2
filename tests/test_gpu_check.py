"""benchmarks/gpu_check.py: its run grid, and on a machine without a GPU its message and exit 0."""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))

import gpu_check  # noqa: E402


def test_grid_runs_each_method_in_both_precisions_without_and_with_xla():
    grid = gpu_check.run_grid(["simclr", "byol"])
    assert [(r["method"], r["precision"], r["xla"]) for r in grid[:4]] == [
        ("simclr", "float32", False),
        ("simclr", "float32", True),
        ("simclr", "mixed_float16", False),
        ("simclr", "mixed_float16", True),
    ]
    assert len(grid) == 8 and {r["method"] for r in grid[4:]} == {"byol"}


def test_override_sets_precision_xla_and_only_a_given_batch():
    run = {"method": "simclr", "precision": "mixed_float16", "xla": True}
    assert gpu_check.run_override(run, 0) == (
        "runtime.mixed_precision=mixed_float16,runtime.jit_compile=true"
    )
    assert gpu_check.run_override(run, 64).endswith(",task.train_data.global_batch_size=64")


def test_without_gpu_says_so_and_exits_0():
    result = subprocess.run(
        [sys.executable, os.path.join(ROOT, "benchmarks", "gpu_check.py"), "--methods=simclr"],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ, CUDA_VISIBLE_DEVICES=""),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout == "No GPU visible to TensorFlow: nothing to check.\n"
