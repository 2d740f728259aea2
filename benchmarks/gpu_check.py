"""Train-step throughput of every `<method>_embedded` default on a GPU, in float32 and
mixed_float16, each without and with XLA (`runtime.jit_compile`).

  python benchmarks/gpu_check.py --methods=simclr,byol --steps=20 --batch_size=256

The first JSON line names the GPU (`tf.config.experimental.get_device_details`); then one JSON
line per run: `tfssl.benchmark`'s step measurement (one batch of the method's own input repeated
from memory through the real train step, median of timed windows after warm-up) and the GPU's peak memory. A run that
fails (e.g. several optimizer groups under mixed_float16) prints its error and the next one runs. Without a GPU it says so and exits
with status 0.
"""

import argparse
import itertools
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tfssl.cli import quiet_tensorflow_logs  # noqa: E402
from tfssl.host_defaults import configure_host  # noqa: E402

SUFFIX = "_embedded"
PRECISIONS = ("float32", "mixed_float16")
XLA = (False, True)
WINDOWS, WARMUP = 3, 3  # warm-up covers tracing and, with XLA, compilation


def run_grid(methods, precisions=PRECISIONS, xla=XLA):
    """Every (method, precision, xla) run as a dict, method by method (a method's runs adjacent)."""
    return [
        {"method": m, "precision": p, "xla": x}
        for m, p, x in itertools.product(methods, precisions, xla)
    ]


def run_override(run, batch_size):
    """The params_override of one run; `batch_size` 0 keeps the experiment's own batch."""
    override = (
        f"runtime.mixed_precision={run['precision']},runtime.jit_compile={str(run['xla']).lower()}"
    )
    if batch_size:
        override += f",task.train_data.global_batch_size={batch_size}"
    return override


def gpu_details(gpu):
    """Name and compute capability of a physical GPU device, and the TensorFlow version."""
    import tensorflow as tf

    details = tf.config.experimental.get_device_details(gpu)
    capability = details.get("compute_capability")
    return {
        "gpu": details.get("device_name", gpu.name),
        "compute_capability": ".".join(map(str, capability)) if capability else None,
        "tensorflow": tf.__version__,
    }


def measure(run, steps, batch_size):
    """One run's JSON line: images/s and views/s of the step, peak GPU memory, or the error."""
    import keras
    import tensorflow as tf

    from tfssl.benchmark import measure_step
    from tfssl.configs import build_config

    line = dict(run)
    try:
        config = build_config(run["method"] + SUFFIX, params_override=run_override(run, batch_size))
        line["global_batch"] = config.task.train_data.global_batch_size
        tf.config.experimental.reset_memory_stats("GPU:0")
        rates = measure_step(config, steps, WINDOWS, WARMUP)
        line.update({k: round(v, 1) for k, v in rates.items()})
        line["gpu_peak_mb"] = round(
            tf.config.experimental.get_memory_info("GPU:0")["peak"] / 2**20, 1
        )
    except Exception as error:  # one failed run must not stop the others
        line["error"] = f"{type(error).__name__}: {error}"[:500]
    keras.backend.clear_session()  # frees this run's graphs before the next model is built
    return line


def parse_args(argv=None):
    """The command line: which methods, how many timed steps, which global batch."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--methods", default="", help="comma-separated; empty: every _embedded one")
    parser.add_argument("--steps", type=int, default=20, help="timed steps per window")
    parser.add_argument("--batch_size", type=int, default=0, help="global batch; 0: the default's")
    return parser.parse_args(argv)


def main():
    args = parse_args()
    quiet_tensorflow_logs()
    configure_host()  # Before TensorFlow is imported.
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        print("No GPU visible to TensorFlow: nothing to check.", flush=True)
        return
    from tfssl import registry_imports  # noqa: F401  (fills the registries)
    from tfssl.configs import list_experiments

    embedded = [n[: -len(SUFFIX)] for n in list_experiments() if n.endswith(SUFFIX)]
    methods = args.methods.split(",") if args.methods else embedded
    print(json.dumps(gpu_details(gpus[0])), flush=True)
    for run in run_grid(methods):
        print(json.dumps(measure(run, args.steps, args.batch_size)), flush=True)


if __name__ == "__main__":
    main()
