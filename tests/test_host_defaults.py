"""tfssl's TensorFlow environment defaults: set when absent, never overriding the user's value."""

import os

from tfssl.host_defaults import HOST_DEFAULTS, apply_host_defaults


def test_absent_variables_get_the_defaults(monkeypatch):
    for name in HOST_DEFAULTS:
        monkeypatch.delenv(name, raising=False)
    apply_host_defaults()
    assert {name: os.environ[name] for name in HOST_DEFAULTS} == {
        "TF_ENABLE_ONEDNN_OPTS": "1",
        "TF_CPU_ALLOCATOR_USE_BFC": "true",
    }


def test_a_users_setting_is_kept(monkeypatch):
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "0")
    monkeypatch.delenv("TF_CPU_ALLOCATOR_USE_BFC", raising=False)
    apply_host_defaults()
    assert os.environ["TF_ENABLE_ONEDNN_OPTS"] == "0"
    assert os.environ["TF_CPU_ALLOCATOR_USE_BFC"] == "true"
