"""Trains, evaluates or exports a registered tfssl experiment.

tfssl-train --experiment=simclr_embedded --model_dir=/tmp/simclr
python train.py --experiment=simclr_embedded --model_dir=/tmp/simclr   # the same, in a checkout

On SIGTERM (preemption) training saves a checkpoint at the step it reached and the program
exits with status 42, "not finished, restart me"; the same command continues from the next step.
"""

import sys

from absl import flags, logging

from tfssl.cli import run_main

flags.DEFINE_string("experiment", None, "Registered experiment name, e.g. simclr_embedded.")
flags.DEFINE_string("model_dir", None, "Directory for checkpoints, params.yaml and results.")
flags.DEFINE_multi_string("config_file", [], "YAML overrides, applied in order (repeatable).")
flags.DEFINE_string("params_override", "", "Overrides applied last: 'a.b=1,c=d' or YAML.")
flags.DEFINE_enum(
    "mode", "train_and_eval", ["train", "train_and_eval", "eval", "export"], "What to run."
)
flags.DEFINE_enum(
    "strategy",
    None,
    ["one_device", "mirrored", "multi_worker_mirrored", "tpu"],
    "Overrides runtime.distribution_strategy. multi_worker_mirrored reads the cluster from "
    "TF_CONFIG; give every worker the same --model_dir.",
)
flags.DEFINE_integer(
    "cpu_replicas", None, "Split the CPU into N logical devices (mirrored without GPUs)."
)
flags.DEFINE_string("tpu", None, "TPU name or address for --strategy=tpu.")
flags.mark_flags_as_required(["experiment", "model_dir"])

FLAGS = flags.FLAGS

# Exit status of a preempted run: it saved its checkpoint and should be restarted (TensorFlow's
# restart code on Borg; any non-zero status makes Kubernetes Jobs and Slurm --requeue rerun it).
PREEMPTED_EXIT_CODE = 42


def _runtime_override():
    """The command-line runtime flags as a params_override fragment."""
    runtime = {}
    if FLAGS.strategy:
        runtime["distribution_strategy"] = FLAGS.strategy
    if FLAGS.cpu_replicas:
        runtime["cpu_replicas"] = FLAGS.cpu_replicas
        runtime.setdefault("distribution_strategy", "mirrored")
    if FLAGS.tpu:
        runtime["tpu"] = FLAGS.tpu
    return {"runtime": runtime} if runtime else {}


def main(argv):
    del argv
    from tfssl import registry_imports  # noqa: F401  (fills the registries)
    from tfssl.configs import build_config, merge
    from tfssl.training import TrainingPreempted, run_experiment

    config = build_config(FLAGS.experiment, FLAGS.config_file, FLAGS.params_override)
    merge(config, _runtime_override())
    config.validate()
    if config.runtime.cpu_replicas > 1:
        from tfssl.training import split_cpu

        split_cpu(config.runtime.cpu_replicas)
    try:
        results = run_experiment(config, FLAGS.model_dir, FLAGS.mode)
    except TrainingPreempted as preempted:
        logging.warning("%s", preempted)
        sys.exit(PREEMPTED_EXIT_CODE)
    for name, value in results.items():
        logging.info("%s: %s", name, value)


def run():
    """The `tfssl-train` console script."""
    run_main(main, __name__, __doc__)


if __name__ == "__main__":
    run()
