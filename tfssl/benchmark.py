"""Throughput benchmark of an experiment's train step and of its input pipeline.

  python -m tfssl.benchmark --experiment=simclr_embedded [--params_override=...] \
      [--steps=N] [--what=step|pipeline|both]

Prints one JSON line per measurement. `step` runs one already-augmented batch of the method's own input,
repeated from memory, through the real `train_step` under the configured strategy (input pipeline excluded); `pipeline` runs the
real tf.data pipeline (decode, augment, batch) with no model. Warm-up steps are excluded and the
figure is the median of several timed windows.
"""

import functools
import json
import resource
import statistics
import time

from absl import app, flags

from tfssl.cli import quiet_tensorflow_logs
from tfssl.host_defaults import configure_host

flags.DEFINE_string("experiment", None, "Registered experiment name.")
flags.DEFINE_multi_string("config_file", [], "YAML overrides, applied in order.")
flags.DEFINE_string("params_override", "", "Overrides applied last: 'a.b=1,c=d' or YAML.")
flags.DEFINE_integer("steps", 20, "Timed steps per window.")
flags.DEFINE_integer("windows", 5, "Timed windows; the median is reported.")
flags.DEFINE_integer("warmup", 3, "Untimed steps before the first window (tracing, caches).")
flags.DEFINE_enum("what", "both", ["step", "pipeline", "both"], "What to measure.")
flags.DEFINE_integer(
    "decoded_size",
    0,
    "When > 0, the pipeline reads 512 in-memory decoded uint8 images of this side (e.g. 256 for "
    "ImageNet-style multi-crop) instead of the configured source: augmentation alone is timed.",
)
flags.mark_flag_as_required("experiment")

FLAGS = flags.FLAGS


def peak_rss_mb():
    """Peak resident memory of this process in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def median_rate(run_window, items_per_window, windows):
    """Median items/s over `windows` calls of `run_window()`."""
    rates = []
    for _ in range(windows):
        start = time.perf_counter()
        run_window()
        rates.append(items_per_window / (time.perf_counter() - start))
    return statistics.median(rates)


def _repeated_batch(model, config, strategy):
    """A distributed dataset repeating one per-replica batch of the model's own training input
    (views, tiles, labeled + unlabeled streams: whatever the method reads), held in memory, so
    the step is timed without the input pipeline. Also the number of views per image."""
    data = config.task.train_data
    input_fn = model.build_inputs(data, config.runtime.seed)

    def dataset_fn(context):
        return input_fn(context).take(1).cache().repeat()

    views = data.views
    return strategy.distribute_datasets_from_function(
        dataset_fn
    ), views.num_global + views.num_local


def measure_step(config, steps, windows, warmup):
    """images/s and views/s of the real train step on one repeated batch of its own input."""
    import keras

    from tfssl.training.trainer import build_training_model, strategy_from_config

    strategy = strategy_from_config(config.runtime)
    keras.mixed_precision.set_global_policy(config.runtime.mixed_precision)
    with strategy.scope():
        model = build_training_model(config, total_steps=config.trainer.train_steps)
    dataset, num_views = _repeated_batch(model, config, strategy)
    iterator = iter(dataset)
    model.make_train_function()
    steps_per_call = config.trainer.steps_per_loop

    def run(n):
        for _ in range(max(1, n // steps_per_call)):
            logs = model.train_function(iterator)
        float(logs["loss"])  # Wait for the device.

    run(warmup)
    batch = config.task.train_data.global_batch_size
    rate = median_rate(lambda: run(steps), steps * batch, windows)
    return {"images_per_sec": rate, "views_per_sec": rate * num_views}


def _decoded_source(size, count=512):
    """`count` random decoded uint8 images [size, size, 3] held in memory, labelled 0."""
    import numpy as np
    import tensorflow as tf

    images = np.random.default_rng(0).integers(0, 256, (count, size, size, 3), np.uint8)
    return tf.data.Dataset.from_tensor_slices({"image": images, "label": np.zeros(count, np.int64)})


def measure_pipeline(config, steps, windows, warmup, decoded_size=0):
    """Source images/s and views/s of the tf.data training pipeline alone."""
    import tensorflow as tf

    from tfssl.data import inputs

    data = config.task.train_data
    source = _decoded_source(decoded_size) if decoded_size else inputs.build_source(data)[0]
    context = tf.distribute.InputContext(1, 0, 1)
    iterator = iter(inputs.train_input_fn(source, data, config.runtime.seed)(context))
    num_views = data.views.num_global + data.views.num_local

    def run(n):
        for _ in range(n):
            next(iterator)

    run(warmup)
    rate = median_rate(lambda: run(steps), steps * data.global_batch_size, windows)
    return {"images_per_sec": rate, "views_per_sec": rate * num_views}


def main(argv):
    del argv
    from tfssl import registry_imports  # noqa: F401
    from tfssl.configs import build_config

    config = build_config(FLAGS.experiment, FLAGS.config_file, FLAGS.params_override)
    if config.runtime.cpu_replicas > 1:
        from tfssl.training import split_cpu

        split_cpu(config.runtime.cpu_replicas)
    measures = {
        "step": measure_step,
        "pipeline": functools.partial(measure_pipeline, decoded_size=FLAGS.decoded_size),
    }
    for what in ("step", "pipeline") if FLAGS.what == "both" else (FLAGS.what,):
        result = measures[what](config, FLAGS.steps, FLAGS.windows, FLAGS.warmup)
        line = {
            "what": what,
            "experiment": FLAGS.experiment,
            "global_batch": config.task.train_data.global_batch_size,
            **{k: round(v, 1) for k, v in result.items()},
            "peak_rss_mb": round(peak_rss_mb(), 1),
        }
        print(json.dumps(line), flush=True)


if __name__ == "__main__":
    quiet_tensorflow_logs()
    configure_host()  # Before main() imports TensorFlow.
    app.run(main)
