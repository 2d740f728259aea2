"""tfssl's TensorFlow environment defaults: set only by `tfssl.configure_host()`, when absent,
never overriding the user's value; `import tfssl` changes nothing."""

import json
import os
import subprocess
import sys

import pytest

import tfssl
from tfssl.host_defaults import HOST_DEFAULTS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _fresh_python(code):
    """Runs `code` in a new interpreter without either variable set; returns its stdout."""
    env = {k: v for k, v in os.environ.items() if k not in HOST_DEFAULTS}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_importing_tfssl_leaves_the_environment_and_tensorflow_alone():
    printed = _fresh_python(
        "import json, os, sys; before = dict(os.environ); import tfssl; "
        "print(json.dumps([dict(os.environ) == before, 'tensorflow' in sys.modules]))"
    )
    assert json.loads(printed) == [True, False]


def test_absent_variables_get_the_defaults(monkeypatch):
    for name in HOST_DEFAULTS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delitem(sys.modules, "tensorflow")  # as before `import tensorflow`: no warning
    applied = tfssl.configure_host()
    expected = {"TF_ENABLE_ONEDNN_OPTS": "1", "TF_CPU_ALLOCATOR_USE_BFC": "true"}
    assert applied == expected
    assert {name: os.environ[name] for name in HOST_DEFAULTS} == expected


def test_a_users_setting_is_kept(monkeypatch):
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "0")
    monkeypatch.delenv("TF_CPU_ALLOCATOR_USE_BFC", raising=False)
    monkeypatch.delitem(sys.modules, "tensorflow")
    assert tfssl.configure_host() == {"TF_CPU_ALLOCATOR_USE_BFC": "true"}
    assert os.environ["TF_ENABLE_ONEDNN_OPTS"] == "0"
    assert os.environ["TF_CPU_ALLOCATOR_USE_BFC"] == "true"


def test_a_call_after_tensorflow_is_imported_warns(monkeypatch):
    """TensorFlow (imported by this test session) has read both variables already."""
    assert "tensorflow" in sys.modules
    for name in HOST_DEFAULTS:
        monkeypatch.delenv(name, raising=False)
    with pytest.warns(RuntimeWarning, match="TF_ENABLE_ONEDNN_OPTS when TensorFlow is imported"):
        tfssl.configure_host()
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "0")
    monkeypatch.setenv("TF_CPU_ALLOCATOR_USE_BFC", "false")
    assert tfssl.configure_host() == {}  # nothing set, nothing to warn about


@pytest.mark.parametrize("user_value, onednn", [(None, True), ("0", False)])
def test_a_call_before_tensorflow_reaches_it(user_value, onednn):
    """What the environment holds after the call is what TensorFlow reads at its import: oneDNN
    on by default, off when the user says so."""
    setting = f"os.environ['TF_ENABLE_ONEDNN_OPTS'] = '{user_value}'; " if user_value else ""
    printed = _fresh_python(
        f"import os; os.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'; {setting}"
        "import tfssl; tfssl.configure_host(); "
        "from tensorflow.python.util import _pywrap_util_port; "
        "print(_pywrap_util_port.IsMklEnabled())"
    )
    assert printed.strip().splitlines()[-1] == str(onednn)
