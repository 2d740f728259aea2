"""The command-line programs, `tfssl-train` and `tfssl-eval` (also `python train.py` and
`python eval.py` in a checkout).

Each module defines its absl flags and `main(argv)`; its `run()`, the console script's entry
point, calls `run_main`, which sets up the process before `main` first imports TensorFlow.
"""

import ctypes
import os
import sys

from absl import app, flags

from tfssl.host_defaults import configure_host


def _has_cuda_driver():
    """Whether the NVIDIA driver library that TensorFlow's CUDA platform loads is present."""
    try:
        ctypes.CDLL("libcuda.so.1")
    except OSError:
        return False
    return True


def quiet_tensorflow_logs():
    """Sets TensorFlow's C++ log threshold unless the user set `TF_CPP_MIN_LOG_LEVEL`.

    2 (errors only) on a machine with a CUDA driver, so GPU errors still show; 3 (none) without
    one, where the only error TensorFlow logs on a normal run is its failed `cuInit`. Call it
    before TensorFlow is imported. Python exceptions are not affected.

    Returns:
      The level in effect.
    """
    if "TF_CPP_MIN_LOG_LEVEL" not in os.environ:
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2" if _has_cuda_driver() else "3"
    return os.environ["TF_CPP_MIN_LOG_LEVEL"]


def run_main(main, module_name, doc):
    """Runs absl's `app.run(main)` as the program `module_name` defines.

    First the process set-up that belongs before `import tensorflow` (`quiet_tensorflow_logs`,
    `configure_host`); then the flags of `module_name` become the ones that `--help` lists and
    `doc` its text where the program's own `__main__` (a console script) has none.
    """
    quiet_tensorflow_logs()
    configure_host()
    main_module = sys.modules["__main__"]
    if not main_module.__doc__:
        main_module.__doc__ = doc
    for flag in flags.FLAGS.get_key_flags_for_module(module_name):
        flags.FLAGS.register_key_flag_for_module(sys.argv[0], flag)
    app.run(main)
