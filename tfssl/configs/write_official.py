"""Regenerates `official_configs/<method>/<setting>.yaml` from the experiment registry:

  python -m tfssl.configs.write_official
"""

import os

from tfssl import registry_imports  # noqa: F401
from tfssl.configs.overrides import write_yaml
from tfssl.configs.registry import get_experiment, list_experiments

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "official_configs")


def main():
    for name in list_experiments():
        config = get_experiment(name)
        setting = name[len(config.task.method) + 1 :]
        path = os.path.normpath(os.path.join(ROOT, config.task.method, f"{setting}.yaml"))
        write_yaml(config, path)
        print(path)


if __name__ == "__main__":
    main()
