"""TensorFlow host settings for fast CPU training, set by one explicit call: `configure_host()`.

Both are environment variables that TensorFlow reads once, so the call belongs at the top of a
program, before TensorFlow is imported. `train.py`, `eval.py` and `python -m tfssl.benchmark`
make it; `import tfssl` does not (it neither changes the environment nor imports TensorFlow), so
user code opts in with `tfssl.configure_host()` before its own `import tensorflow`:

- `TF_ENABLE_ONEDNN_OPTS=1`: oneDNN's CPU kernels. TensorFlow enables them by default only on
  some CPUs; on the 2-core AVX2 benchmark machine they train a CIFAR ResNet-18 SimCLR step at
  17.5-21.3 img/s against 14.9-16.7 without, in alternating runs (see benchmarks/README.md).
  TensorFlow 2.21 reads it while `import tensorflow` runs.
- `TF_CPU_ALLOCATOR_USE_BFC=true`: the BFC host allocator reuses freed buffers; otherwise a CPU
  step's large activations are returned to the OS and page-faulted back every step (9.2 vs
  7.7 img/s, same step). TensorFlow 2.21 reads it when it creates its devices (the first op, or
  the first `tf.config` device query), so it still applies after the import until then.

A variable the environment already sets is left alone: set either to another value (e.g.
`TF_ENABLE_ONEDNN_OPTS=0`) to opt out.
"""

import os
import sys
import warnings

HOST_DEFAULTS = {"TF_ENABLE_ONEDNN_OPTS": "1", "TF_CPU_ALLOCATOR_USE_BFC": "true"}

# When TensorFlow reads each variable, for the warning of a call made too late.
_READ_BY_TENSORFLOW = {
    "TF_ENABLE_ONEDNN_OPTS": "when TensorFlow is imported",
    "TF_CPU_ALLOCATOR_USE_BFC": "when TensorFlow creates its devices (its first op)",
}


def configure_host():
    """Sets each of `HOST_DEFAULTS` that the environment does not set already.

    Call it before importing TensorFlow. Called after, it still sets the variables but warns
    (RuntimeWarning) that TensorFlow may already have read them.

    Returns:
      dict of the variables this call set (name → value); empty when the user set them all.
    """
    applied = {name: value for name, value in HOST_DEFAULTS.items() if name not in os.environ}
    os.environ.update(applied)
    if applied and "tensorflow" in sys.modules:
        warnings.warn(
            "tfssl.configure_host() ran after TensorFlow was imported; TensorFlow reads "
            + "; ".join(f"{name} {_READ_BY_TENSORFLOW[name]}" for name in applied)
            + ". Call it before `import tensorflow` for these settings to apply.",
            RuntimeWarning,
            stacklevel=2,
        )
    return applied
