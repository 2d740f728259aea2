"""The console of a short CPU run is quiet and names its devices; the package declares the
`tfssl-train` / `tfssl-eval` console scripts and each one runs `--help`, without being installed."""

import os
import re
import subprocess
import sys

import pytest

from tests.test_cli import ROOT, TINY

try:
    import tomllib
except ImportError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

SCRIPTS = {
    "tfssl-train": ("tfssl.cli.train:run", ["experiment", "model_dir", "params_override", "mode"]),
    "tfssl-eval": ("tfssl.cli.eval:run", ["model_dir", "protocol", "k", "checkpoint"]),
}


def _console_scripts():
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        return tomllib.load(f)["project"]["scripts"]


def _python(*args, env=None):
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )


def test_short_cpu_run_prints_no_errors_or_warnings_and_its_devices(tmp_path):
    # The user's environment as it is, without the test session's TF_CPP_MIN_LOG_LEVEL.
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    result = _python(
        "train.py",
        "--experiment=simclr_embedded",
        f"--model_dir={tmp_path}",
        f"--params_override={TINY}",
        "--mode=train",
        env=env,
    )
    console = result.stdout + result.stderr
    assert result.returncode == 0, console[-3000:]
    assert "step 2/2" in console
    # TensorFlow's (and absl's) error and warning lines: E1206 12:00:00 ... / W0000 00:00:...
    assert not re.findall(r"^[EW]\d{4} .*$", console, flags=re.M), console[-3000:]
    # Python warnings: "<file>:<line>: UserWarning: <message>".
    assert not re.findall(r"^.*\b\w*Warning: .*$", console, flags=re.M), console[-3000:]
    assert "faiss" not in console, console[-3000:]
    devices = re.findall(r"Training on .*$", console, flags=re.M)
    assert len(devices) == 1, console[-3000:]
    assert re.fullmatch(r"Training on 1 device: (CPU|GPU):0 \(strategy one_device\)", devices[0])


def test_pyproject_declares_the_console_scripts():
    assert _console_scripts() == {name: target for name, (target, _) in SCRIPTS.items()}


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_console_script_entry_point_runs_help(script):
    """What the installed script does: `sys.exit(<module>.<function>())` with its argv."""
    module, function = _console_scripts()[script].split(":")
    code = (
        f"import sys; sys.argv[0] = {script!r}; "
        f"from {module} import {function}; sys.exit({function}())"
    )
    result = _python("-c", code, "--help")
    # absl exits with status 1 after --help; a failed import or bad flag setup exits otherwise.
    assert result.returncode in (0, 1) and not result.stderr, result.stderr[-3000:]
    assert f"{script} --" in result.stdout  # the usage examples of its docstring
    for flag in SCRIPTS[script][1]:
        assert f"--{flag}:" in result.stdout, result.stdout


@pytest.mark.parametrize(
    "args, flag",
    [(["train.py"], "experiment"), (["eval.py"], "protocol"), (["-m", "tfssl.cli.train"], "mode")],
)
def test_checkout_entry_points_list_their_flags_in_help(args, flag):
    result = _python(*args, "--help")
    assert result.returncode in (0, 1) and not result.stderr, result.stderr[-3000:]
    assert f"--{flag}:" in result.stdout and "--params_override:" in result.stdout
