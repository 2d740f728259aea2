"""Runs `train.py` once per argument list in a single interpreter, so the CLI tests pay
TensorFlow's start-up once rather than once per method. Each run's log starts with a marker
line `=== RUN <i>` on stderr and ends with `=== EXIT <i> <code>`.

  python tests/train_many.py '[["--experiment=simclr_embedded", "--model_dir=/tmp/a"], ...]'
"""

import json
import os
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import flags, logging  # noqa: E402
from tensorflow.python.eager import context  # noqa: E402

import train  # noqa: E402


def main(runs):
    logging.use_absl_handler()
    for i, argv in enumerate(runs):
        print(f"=== RUN {i}", file=sys.stderr, flush=True)
        if i:
            # A fresh eager context per run: each MirroredStrategy numbers its collectives from
            # the same keys, and the runtime would match them against the previous run's.
            context._reset_context()
        flags.FLAGS.unparse_flags()
        flags.FLAGS(["train.py", *argv])
        logging.set_verbosity(logging.INFO)
        code = 0
        try:
            train.main([])
        except Exception:  # noqa: BLE001  (one method's failure must not hide the others')
            traceback.print_exc()
            code = 1
        print(f"=== EXIT {i} {code}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
