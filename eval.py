"""Evaluates a trained tfssl model_dir with a standard protocol and writes eval_<protocol>.json.

  python eval.py --model_dir=/tmp/simclr --protocol=linear
"""

import json
import os

from absl import app, flags

flags.DEFINE_string("model_dir", None, "A model_dir written by train.py (holds params.yaml).")
flags.DEFINE_enum("protocol", "linear", ["linear"], "Evaluation protocol.")
flags.DEFINE_string("checkpoint", None, "Checkpoint path; defaults to the latest in model_dir.")
flags.DEFINE_multi_string("config_file", [], "YAML overrides applied over model_dir/params.yaml.")
flags.DEFINE_string("params_override", "", "Overrides applied last: 'a.b=1,c=d' or YAML.")
flags.mark_flag_as_required("model_dir")

FLAGS = flags.FLAGS


def main(argv):
    del argv
    from tfssl.configs import load_model_dir_config
    from tfssl.training import evaluate_linear, restore_model
    from tfssl.training.trainer import write_json

    config = load_model_dir_config(FLAGS.model_dir, FLAGS.config_file, FLAGS.params_override)
    encoder = restore_model(config, FLAGS.model_dir, FLAGS.checkpoint).encoder
    results = evaluate_linear(config, encoder)
    write_json(results, os.path.join(FLAGS.model_dir, f"eval_{FLAGS.protocol}.json"))
    print(json.dumps(results, sort_keys=True))


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    app.run(main)
