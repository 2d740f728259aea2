"""Evaluates a trained tfssl model_dir with a standard protocol and writes eval_<protocol>.json
(the `tfssl-eval` console script, defined in tfssl/cli/eval.py).

python eval.py --model_dir=/tmp/simclr --protocol=linear
python eval.py --model_dir=/tmp/simclr --protocol=knn --k=200 --temperature=0.07
python eval.py --model_dir=/tmp/simclr --protocol=finetune --label_fraction=0.01  # vs scratch
python eval.py --model_dir=/tmp/simclr --protocol=clustering
python eval.py --model_dir=/tmp/fixmatch --protocol=classifier   # a semi-supervised class head
python eval.py --model_dir=/tmp/simclr --protocol=linear --random_init   # the baseline
"""

from tfssl.cli.eval import main, run  # noqa: F401  (main: for callers that parse the flags)

if __name__ == "__main__":
    run()
