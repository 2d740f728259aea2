"""Test error of every semi-supervised `<method>_embedded` default and of its labels-only
baseline (`supervised_embedded`), for given labels per class and seeds: a markdown table (mean
and spread over the seeds, as the MixMatch paper's ablation table) and a PNG of test error
against labels per class.

  flock /tmp/tfssl-cpu.lock python benchmarks/semi_supervised_table.py \
      --labels 10 --seeds 0,1 --out_dir /tmp/semi_table
  python benchmarks/semi_supervised_table.py --labels 4,10,25 --seeds 0 --out_dir /tmp/curve

Each run is `train.py --mode=train_and_eval` in its own process; its classifier top-1
(`eval_classifier.json`) and wall time are kept in `out_dir/results.json`, so an interrupted
table resumes where it stopped. Long by nature (minutes per run): not part of the test suite.
"""

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)  # tfssl from this checkout


def run(method, labels, seed, out_dir):
    """Trains and evaluates one run; returns {"top1", "seconds"}."""
    model_dir = os.path.join(out_dir, f"{method}-labels{labels}-seed{seed}")
    overrides = f"task.labeled.num_per_class={labels},runtime.seed={seed}"
    start = time.time()
    subprocess.run(
        [
            sys.executable,
            os.path.join(ROOT, "train.py"),
            f"--experiment={method}_embedded",
            f"--model_dir={model_dir}",
            f"--params_override={overrides}",
        ],
        check=True,
        capture_output=True,
    )
    with open(os.path.join(model_dir, "eval_classifier.json")) as f:
        top1 = json.load(f)["top1"]
    return {"top1": top1, "seconds": round(time.time() - start, 1)}


def table(results, methods, labels, seeds):
    """Markdown: test error (%) per method and labels per class, mean ± half-range over seeds,
    the gain over the baseline, and the mean wall time of a run."""
    lines = [
        "| method | " + " | ".join(f"{n}/class error %" for n in labels) + " | gain | time |",
        "|---|" + "---|" * (len(labels) + 2),
    ]
    baseline = {n: np.mean([results[f"supervised/{n}/{s}"]["top1"] for s in seeds]) for n in labels}
    for method in methods:
        cells, gains, times = [], [], []
        for n in labels:
            runs = [results[f"{method}/{n}/{s}"] for s in seeds]
            errors = [100 * (1 - r["top1"]) for r in runs]
            spread = (max(errors) - min(errors)) / 2
            cells.append(f"{np.mean(errors):.1f} ± {spread:.1f}")
            gains.append(100 * (np.mean([r["top1"] for r in runs]) - baseline[n]))
            times += [r["seconds"] for r in runs]
        gain = ", ".join(f"{g:+.1f}" for g in gains) if method != "supervised" else "—"
        lines.append(f"| {method} | " + " | ".join(cells) + f" | {gain} | {np.mean(times):.0f} s |")
    return "\n".join(lines)


def plot(results, methods, labels, seeds, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6, 4))
    for method in methods:
        errors = [
            100 * (1 - np.mean([results[f"{method}/{n}/{s}"]["top1"] for s in seeds]))
            for n in labels
        ]
        style = "k--" if method == "supervised" else "-o"
        axes.plot(labels, errors, style, label=method)
    axes.set_xlabel("labels per class")
    axes.set_ylabel("test error (%)")
    axes.set_xscale("log")
    axes.set_xticks(labels, [str(n) for n in labels])
    axes.set_title(f"embedded digits, mean of seeds {','.join(map(str, seeds))}")
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--labels", default="10", help="labels per class, comma-separated")
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument(
        "--methods", default="", help="comma-separated; empty: every semi-supervised method"
    )
    parser.add_argument("--out_dir", required=True)
    args = parser.parse_args()
    labels = [int(n) for n in args.labels.split(",")]
    seeds = [int(s) for s in args.seeds.split(",")]
    if args.methods:
        methods = args.methods.split(",")
    else:  # read from the registry, which imports TensorFlow: only when needed
        from tfssl.results import semi_supervised_methods

        methods = semi_supervised_methods()
    if "supervised" not in methods:
        methods.insert(0, "supervised")
    os.makedirs(args.out_dir, exist_ok=True)
    path = os.path.join(args.out_dir, "results.json")
    results = json.load(open(path)) if os.path.exists(path) else {}
    for n in labels:
        for seed in seeds:
            for method in methods:
                key = f"{method}/{n}/{seed}"
                if key not in results:
                    results[key] = run(method, n, seed, args.out_dir)
                    print(key, results[key], flush=True)
                    with open(path, "w") as f:
                        json.dump(results, f, indent=1, sort_keys=True)
    markdown = table(results, methods, labels, seeds)
    with open(os.path.join(args.out_dir, "table.md"), "w") as f:
        f.write(markdown + "\n")
    print(markdown)
    if len(labels) > 1:
        plot(results, methods, labels, seeds, os.path.join(args.out_dir, "error_vs_labels.png"))


if __name__ == "__main__":
    main()
