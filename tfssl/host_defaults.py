"""TensorFlow host settings tfssl turns on by default, before TensorFlow is first imported.

Both are environment variables TensorFlow reads once, so they are set (unless the user already
set them) when `tfssl` is imported, which covers `train.py`, `eval.py`, the benchmark and
`model.fit` in user code that imports tfssl before TensorFlow:

- `TF_ENABLE_ONEDNN_OPTS=1`: oneDNN's CPU kernels. TensorFlow enables them by default only on
  some CPUs; on the 2-core AVX2 benchmark machine they train a CIFAR ResNet-18 SimCLR step at
  17.5-21.3 img/s against 14.9-16.7 without, in alternating runs (see benchmarks/README.md).
- `TF_CPU_ALLOCATOR_USE_BFC=true`: the BFC host allocator reuses freed buffers; otherwise a CPU
  step's large activations are returned to the OS and page-faulted back every step (9.2 vs
  7.7 img/s, same step).

Set either variable to another value (e.g. `TF_ENABLE_ONEDNN_OPTS=0`) to opt out.
"""

import os

HOST_DEFAULTS = {"TF_ENABLE_ONEDNN_OPTS": "1", "TF_CPU_ALLOCATOR_USE_BFC": "true"}


def apply_host_defaults():
    """Sets each of `HOST_DEFAULTS` that the environment does not set already."""
    for name, value in HOST_DEFAULTS.items():
        os.environ.setdefault(name, value)
