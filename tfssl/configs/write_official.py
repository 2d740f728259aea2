"""Regenerates `official_configs/<method>/<setting>.yaml` from the experiment registry:

  python -m tfssl.configs.write_official

Each file holds what its experiment sets: the fields that differ from the defaults of its
TaskConfig class (`registry.default_config`), read back over those defaults by `build_config`.
"""

import os

from tfssl import registry_imports  # noqa: F401
from tfssl.configs.overrides import write_yaml
from tfssl.configs.registry import default_config, get_experiment, list_experiments

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "official_configs")


def main():
    for name in list_experiments():
        config = get_experiment(name)
        method = config.task.method
        path = os.path.normpath(os.path.join(ROOT, method, f"{name[len(method) + 1 :]}.yaml"))
        write_yaml(config, path, defaults=default_config(method))
        print(path)


if __name__ == "__main__":
    main()
