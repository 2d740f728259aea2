"""Evaluates a trained tfssl model_dir with a standard protocol and writes eval_<protocol>.json.

tfssl-eval --model_dir=/tmp/simclr --protocol=linear   # or, in a checkout: python eval.py ...
tfssl-eval --model_dir=/tmp/simclr --protocol=knn --k=200 --temperature=0.07
tfssl-eval --model_dir=/tmp/simclr --protocol=finetune --label_fraction=0.01  # vs scratch
tfssl-eval --model_dir=/tmp/simclr --protocol=clustering
tfssl-eval --model_dir=/tmp/fixmatch --protocol=classifier   # a semi-supervised class head
tfssl-eval --model_dir=/tmp/simclr --protocol=linear --random_init   # the baseline
"""

import json

from absl import flags

from tfssl.cli import run_main

flags.DEFINE_string("model_dir", None, "A model_dir written by train.py (holds params.yaml).")
flags.DEFINE_enum(
    "protocol",
    "linear",
    ["linear", "knn", "finetune", "clustering", "classifier"],
    "Evaluation protocol; classifier: the test top-1 of the model's own class head.",
)
flags.DEFINE_string("checkpoint", None, "Checkpoint path; defaults to the latest in model_dir.")
flags.DEFINE_multi_string("config_file", [], "YAML overrides applied over model_dir/params.yaml.")
flags.DEFINE_string("params_override", "", "Overrides applied last: 'a.b=1,c=d' or YAML.")
flags.DEFINE_integer("k", 200, "knn: neighbours that vote.")
flags.DEFINE_float("temperature", 0.07, "knn: vote weight exp(similarity / temperature).")
flags.DEFINE_float("label_fraction", 1.0, "finetune: class-balanced fraction of train labels used.")
flags.DEFINE_integer(
    "finetune_steps", 0, "finetune: steps of the supervised recipe (0: the recipe's own)."
)
flags.DEFINE_enum("embedding", "pca", ["pca", "tsne"], "2-D projection of the embedding plot.")
flags.DEFINE_bool("plots", True, "Write retrieval.png and embedding_<method>.png to model_dir.")
flags.DEFINE_bool("random_init", False, "Evaluate a freshly initialised encoder (the baseline).")
flags.mark_flag_as_required("model_dir")

FLAGS = flags.FLAGS


def main(argv):
    del argv
    from tfssl import registry_imports  # noqa: F401  (fills the registries)
    from tfssl.configs import load_model_dir_config
    from tfssl.evaluation.runner import EvalOptions, evaluate
    from tfssl.training import split_cpu

    config = load_model_dir_config(FLAGS.model_dir, FLAGS.config_file, FLAGS.params_override)
    if config.runtime.cpu_replicas > 1:
        split_cpu(config.runtime.cpu_replicas)
    options = EvalOptions(
        k=FLAGS.k,
        temperature=FLAGS.temperature,
        label_fraction=FLAGS.label_fraction,
        finetune_steps=FLAGS.finetune_steps,
        embedding=FLAGS.embedding,
        plots=FLAGS.plots,
        random_init=FLAGS.random_init,
        checkpoint=FLAGS.checkpoint,
    )
    results = evaluate(config, FLAGS.model_dir, FLAGS.protocol, options)
    print(json.dumps(results, sort_keys=True))


def run():
    """The `tfssl-eval` console script."""
    run_main(main, __name__, __doc__)


if __name__ == "__main__":
    run()
