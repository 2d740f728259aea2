"""Trains, evaluates or exports a registered tfssl experiment (the `tfssl-train` console script,
defined in tfssl/cli/train.py).

python train.py --experiment=simclr_embedded --model_dir=/tmp/simclr
"""

from tfssl.cli.train import main, run  # noqa: F401  (main: for callers that parse the flags)

if __name__ == "__main__":
    run()
