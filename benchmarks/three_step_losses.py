"""The training loss of every `<method>_embedded` default after 3 steps at seed 0, one JSON line
per experiment: a refactor that leaves the computation unchanged must leave these unchanged.

  flock /tmp/tfssl-cpu.lock python benchmarks/three_step_losses.py [--out F.json]

The input pipeline runs deterministically (the trainer shortens each warm-up to the 3 steps), so two
runs of the same code print the same figures.
"""

import argparse
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

STEPS = 3


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="")
    parser.add_argument("--only", default="", help="comma-separated experiment names")
    args = parser.parse_args()
    from tensorflow.python.eager import context

    from tfssl import configs, registry_imports  # noqa: F401
    from tfssl.training import trainer

    names = (
        args.only.split(",")
        if args.only
        else [n for n in configs.list_experiments() if n.endswith("_embedded")]
    )
    results = {}
    for name in names:
        context._reset_context()
        config = configs.get_experiment(name)
        config.trainer.train_steps = STEPS
        config.trainer.log_interval = 1
        config.task.train_data.deterministic = True
        with tempfile.TemporaryDirectory() as model_dir:
            _, history = trainer.train(config, model_dir)
        # The logged loss is the epoch's running mean: recover each step's own loss.
        means = [row["loss"] for row in history]
        per_step = [means[0]] + [
            means[i] * (i + 1) - means[i - 1] * i for i in range(1, len(means))
        ]
        results[name] = per_step
        print(json.dumps({"experiment": name, "step_losses": per_step}), flush=True)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(results, f, indent=2, sort_keys=True)


if __name__ == "__main__":
    main()
