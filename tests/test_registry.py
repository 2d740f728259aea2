"""The one registry class: decorator registration, sorted names, and the errors a user sees."""

import os
import subprocess
import sys

import pytest

from tfssl import configs, registry_imports  # noqa: F401  (registers every experiment)
from tfssl.data.inputs import SOURCES
from tfssl.models.factory import BACKBONES
from tfssl.optim.factory import OPTIMIZERS
from tfssl.registry import Registry, UnknownNameError


def _filled():
    registry = Registry("widget")

    @registry.register("sprocket")
    def sprocket():
        return "s"

    registry.register("cog")(len)
    return registry, sprocket


def test_register_get_names_and_contains():
    registry, sprocket = _filled()
    assert registry.get("sprocket") is sprocket and sprocket() == "s"  # the decorator returns it
    assert registry.get("cog") is len
    assert registry.names() == ["cog", "sprocket"]
    assert "cog" in registry and "gear" not in registry


def test_a_name_registered_twice_is_an_error():
    registry, _ = _filled()
    with pytest.raises(ValueError, match="widget 'cog' is registered twice"):
        registry.register("cog")(str)
    assert registry.get("cog") is len  # the first registration stands


def test_unknown_name_names_the_kind_suggests_and_lists():
    registry, _ = _filled()
    with pytest.raises(KeyError) as err:
        registry.get("sprockett")
    assert str(err.value) == (
        "unknown widget 'sprockett'; did you mean 'sprocket'? (known: cog, sprocket)"
    )
    assert isinstance(err.value, UnknownNameError) and isinstance(err.value, ValueError)
    with pytest.raises(KeyError, match=r"unknown widget 'x' \(known: \)"):
        Registry("widget").get("x")  # nothing to suggest in an empty registry


def test_library_registries_hold_every_choice_the_configs_accept():
    assert BACKBONES.names() == [
        "resnet18",
        "resnet34",
        "resnet50",
        "tiny",
        "vit_small",
        "vit_tiny",
        "wrn28_2",
    ]
    assert OPTIMIZERS.names() == ["adam", "adamw", "lars", "sgd"]
    assert SOURCES.names() == ["embedded", "folder", "tfds", "tfrecord"]
    with pytest.raises(
        KeyError, match="unknown experiment 'simclr_embeded'; did you mean 'simclr_embedded'"
    ):
        configs.get_experiment("simclr_embeded")


def test_a_lookup_sees_every_registration_without_importing_the_package_first():
    """Importing one module by its path (not `tfssl.configs`) and looking a name up finds it:
    the registry imports `tfssl.registry_imports` on a miss."""
    code = (
        "from tfssl.configs.registry import get_experiment\n"
        "print(get_experiment('swav_embedded').task.method)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        check=True,
    )
    assert result.stdout.strip() == "swav"
