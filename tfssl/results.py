"""The results table of the embedded defaults: every `<method>_embedded` experiment trained and
scored against its baseline, written as a markdown table and a bar chart.

  python -m tfssl.results                        # every method not done yet, then the table
  python -m tfssl.results --methods=rotnet,fixmatch --rerun
  python -m tfssl.results --methods=simclr --params_override=trainer.train_steps=50 \
      --results_dir=/tmp/r --table=/tmp/r.md --chart=/tmp/r.png --readme=

Self-supervised methods are scored on their frozen encoder: linear-probe top-1, weighted-kNN
top-1 and the NMI of k-means on the test features; their baseline is the same architecture at
its random initialisation (`eval.py --random_init`) under the same three protocols.
Semi-supervised methods are scored by the test top-1 of their own class head; their baseline is
the labels-only `supervised_embedded`, which is run whenever one of them is.

One process runs the methods in sequence, each trained from scratch in `--work_dir/<method>`.
Each writes `--results_dir/<method>.json` (figures, wall time, date, machine) when it finishes,
so an interrupted run resumes with the next method; the table (`--table`, and the README's
results block) and the chart are always built from every JSON there. All methods take hours on
2 CPU cores: not part of the test suite.
"""

import datetime
import glob
import json
import os
import platform
import shutil
import statistics
import tempfile
import time

from absl import app, flags

from tfssl.cli import quiet_tensorflow_logs
from tfssl.files import atomic_write, write_json
from tfssl.host_defaults import configure_host

flags.DEFINE_list("methods", [], "Methods to run (e.g. rotnet,fixmatch); empty: all of them.")
flags.DEFINE_bool("rerun", False, "Run a method again even when its JSON exists.")
flags.DEFINE_string("params_override", "", "Overrides applied to every run: 'a.b=1,c=d' or YAML.")
flags.DEFINE_string("results_dir", "docs/results", "One <method>.json per method run.")
flags.DEFINE_string("table", "docs/results.md", "The markdown table, built from results_dir.")
flags.DEFINE_string("chart", "docs/results.png", "The bar chart, built from results_dir.")
flags.DEFINE_string(
    "readme",
    "README.md",
    "A file whose results block (between README_MARKERS) is replaced by the table; empty: none.",
)
flags.DEFINE_string(
    "work_dir",
    os.path.join(tempfile.gettempdir(), "tfssl-results"),
    "Parent of the train dirs; a method's dir is emptied before it runs.",
)

FLAGS = flags.FLAGS

SUFFIX = "_embedded"
SELF_SUPERVISED, SEMI_SUPERVISED = "self-supervised", "semi-supervised"
SEMI_BASELINE = "supervised"  # the labels-only run every semi-supervised method is read against
BOLD_POINTS = 3.0
# The lines that enclose the table in the README; everything between them is rewritten.
README_MARKERS = (
    "<!-- results table: written by python -m tfssl.results -->",
    "<!-- end of results table -->",
)
# (record key, column title) of the figures, in table order; every figure is a fraction in [0, 1].
METRICS = (("linear", "linear"), ("knn", "kNN"), ("nmi", "NMI"), ("classifier", "classifier"))


def table_order(method, kind):
    """Sort key of a method's run and row: self-supervised first, then the semi-supervised
    baseline, then the other semi-supervised methods, each group by name."""
    return (kind != SELF_SUPERVISED, method != SEMI_BASELINE, method)


def embedded_kinds():
    """{method: kind} of every registered `<method>_embedded` experiment."""
    from tfssl import registry_imports  # noqa: F401  (fills the registries)
    from tfssl.configs import get_experiment, list_experiments

    return {
        name[: -len(SUFFIX)]: method_kind(get_experiment(name))
        for name in list_experiments()
        if name.endswith(SUFFIX)
    }


def method_kind(config):
    """`semi-supervised` for a method trained on labels with its own class head, else
    `self-supervised`."""
    from tfssl.configs.semi import SemiSupervisedTaskConfig

    return SEMI_SUPERVISED if isinstance(config.task, SemiSupervisedTaskConfig) else SELF_SUPERVISED


def semi_supervised_methods():
    """The semi-supervised methods with an `_embedded` experiment, in table order (the baseline
    first, then the others by name): read from the registry, so a new method is never left out
    of the tests and tables that run them all."""
    kinds = embedded_kinds()
    semi = [method for method, kind in kinds.items() if kind == SEMI_SUPERVISED]
    return sorted(semi, key=lambda m: table_order(m, SEMI_SUPERVISED))


def planned_methods(requested, kinds):
    """`requested` (all of `kinds` when empty) in table order, with the semi-supervised baseline
    added when a semi-supervised method is requested without it.

    Raises:
      ValueError: a requested method has no `<method>_embedded` experiment.
    """
    unknown = sorted(set(requested) - set(kinds))
    if unknown:
        raise ValueError(f"no {SUFFIX} experiment for {unknown}; known: {', '.join(sorted(kinds))}")
    methods = set(requested or kinds)
    if any(kinds[m] == SEMI_SUPERVISED for m in methods):
        methods.add(SEMI_BASELINE)
    return sorted(methods, key=lambda m: table_order(m, kinds[m]))


def machine():
    """Where the figures were measured: host name, processor, CPU count, GPUs and TF version."""
    import tensorflow as tf

    return {
        "node": platform.node(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "gpus": len(tf.config.list_physical_devices("GPU")),
        "tensorflow": tf.__version__,
    }


def encoder_figures(config, encoder):
    """Linear-probe top-1, kNN top-1 and k-means NMI of `encoder`'s frozen features, with the
    protocols of `eval.py` (the NMI is always that of k-means, also for a method with a cluster
    head, so that trained and random-init encoders are scored alike)."""
    from tfssl.evaluation import knn_protocol, linear_protocol, split_features
    from tfssl.evaluation.protocols import clustering_protocol

    features = split_features(config.task, encoder)
    return {
        "linear": linear_protocol(features, config.task.evaluation, config.runtime.seed)["top1"],
        "knn": knn_protocol(features)["top1"],
        "nmi": clustering_protocol(features, seed=config.runtime.seed)["nmi"],
    }


def classifier_figures(config, model):
    """Test top-1 of the model's own class head (what `eval_classifier.json` holds)."""
    from tfssl.data import inputs
    from tfssl.evaluation import classifier_protocol, extract_features

    test = extract_features(model.evaluation_encoder, inputs.eval_input(config.task.eval_data))
    return {"classifier": classifier_protocol(model.class_logits, {"test": test})["top1"]}


def run_method(method, config, kind, model_dir):
    """Trains `config` from scratch in `model_dir` and scores it; for a self-supervised method
    also its random-init baseline. Returns the method's record (its JSON)."""
    import keras

    from tfssl.evaluation.runner import load_model
    from tfssl.training import train

    start = time.time()
    shutil.rmtree(model_dir, ignore_errors=True)  # a stale checkpoint would resume, not retrain
    model, _ = train(config, model_dir)
    record = {"method": method, "experiment": method + SUFFIX, "kind": kind}
    if kind == SEMI_SUPERVISED:
        record["figures"] = classifier_figures(config, model)
    else:
        record["figures"] = encoder_figures(config, model.evaluation_encoder)
        random_init = load_model(config, None, random_init=True)
        record["random_init"] = encoder_figures(config, random_init.evaluation_encoder)
    keras.backend.clear_session()  # frees this method's graphs before the next one is built
    return {
        **record,
        "train_steps": config.trainer.train_steps,
        "wall_seconds": round(time.time() - start, 1),
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": machine(),
    }


def load_records(results_dir):
    """{method: record} of every `<method>.json` in `results_dir`."""
    records = {}
    for path in sorted(glob.glob(os.path.join(results_dir, "*.json"))):
        with open(path) as f:
            record = json.load(f)
        records[record["method"]] = record
    return records


def baseline(method, records):
    """(name, figures) of the baseline `method` is read against, or None: its own random-init
    encoder, or the semi-supervised baseline's run when that is among `records`."""
    record = records[method]
    if "random_init" in record:
        return "random init", record["random_init"]
    if method != SEMI_BASELINE and SEMI_BASELINE in records:
        return SEMI_BASELINE, records[SEMI_BASELINE]["figures"]
    return None


def _points(value):
    """A fraction as points (%, or NMI × 100) with one decimal."""
    return f"{100 * value:.1f}"


def _gain(value, base):
    """`value` − `base` in points, rounded as the table shows it (the bold rule reads this)."""
    return round(100 * (value - base), 1)


def table_row(method, records):
    """One markdown row: each figure in points (bold when it beats the baseline's same figure by
    `BOLD_POINTS`), the baseline's figures and the differences."""
    record = records[method]
    figures = record["figures"]
    name, base = baseline(method, records) or (None, {})
    shown = [key for key, _ in METRICS if key in figures]
    cells = []
    for key, _ in METRICS:
        if key not in figures:
            cells.append("—")
        elif key in base and _gain(figures[key], base[key]) >= BOLD_POINTS:
            cells.append(f"**{_points(figures[key])}**")
        else:
            cells.append(_points(figures[key]))
    if name:
        cells.append(f"{name}: " + " / ".join(_points(base[key]) for key in shown))
        cells.append(" / ".join(f"{_gain(figures[key], base[key]):+.1f}" for key in shown))
    else:
        cells += ["—", "—"]
    run = [record["kind"], str(record["train_steps"]), _minutes(record["wall_seconds"])]
    return f"| {method} | " + " | ".join(run + cells) + " |"


def _describe_machine(machine_info):
    """One line of a record's `machine`."""
    return (
        f"{machine_info['node']} ({machine_info['processor']}, {machine_info['cpu_count']} CPUs, "
        f"{machine_info['gpus']} GPUs, TensorFlow {machine_info['tensorflow']})"
    )


def results_block(records):
    """The table in table order, the bold rule, the dates and machines of the figures, and any
    overrides the runs were made with: the part of the results page the README repeats."""
    methods = sorted(records, key=lambda m: table_order(m, records[m]["kind"]))
    titles = " | ".join(title for _, title in METRICS)
    lines = [
        f"| method | kind | steps | time | {titles} | baseline | Δ |",
        "|---|---|---|---|" + "---|" * (len(METRICS) + 2),
        *(table_row(m, records) for m in methods),
        "",
        f"**Bold**: the figure beats the same figure of the method's baseline by at least "
        f"{BOLD_POINTS:g} points. Time: the whole run, training and scoring (with the baseline's "
        "scoring for a self-supervised method).",
        "",
    ]
    dates = sorted(r["date"][:10] for r in records.values())
    machines = sorted({_describe_machine(r["machine"]) for r in records.values()})
    lines.append(f"Measured from {dates[0]} to {dates[-1]} on {'; '.join(machines)}.")
    overridden = {}
    for method in methods:
        if records[method]["params_override"]:
            overridden.setdefault(records[method]["params_override"], []).append(method)
    if overridden:
        lines += ["", "Runs with overrides of the defaults:", ""]
        lines += [f"- {', '.join(names)}: `{text}`" for text, names in overridden.items()]
    return "\n".join(lines) + "\n"


def markdown(records):
    """The results page: a title, what the figures are, and `results_block`."""
    intro = (
        "Each `<method>_embedded` default trained once (seed 0) by `python -m tfssl.results`. "
        "Figures are top-1 in % (linear probe, kNN, own class head) and NMI × 100 of k-means on "
        "the test features. Baselines: self-supervised methods against the same architecture at "
        "its random initialisation (linear / kNN / NMI), semi-supervised methods against "
        f"`{SEMI_BASELINE}_embedded` (labels only, classifier top-1)."
    )
    return f"# Results of the embedded defaults\n\n{intro}\n\n{results_block(records)}"


def replace_results_block(text, block, path):
    """`text` with the lines between `README_MARKERS` replaced by `block`.

    Raises:
      ValueError: `text` (read from `path`) lacks either marker, or has them out of order.
    """
    start, end = README_MARKERS
    head, found_start, rest = text.partition(start + "\n")
    middle, found_end, tail = rest.partition(end)
    if not (found_start and found_end):
        raise ValueError(f"{path} needs the lines {start!r} and then {end!r} around its table")
    del middle
    return f"{head}{start}\n{block}{end}{tail}"


def headline(record):
    """(metric key, value) a method is charted by: its class head's top-1 when it has one, else
    its linear probe."""
    key = "classifier" if "classifier" in record["figures"] else "linear"
    return key, record["figures"][key]


def bar_chart(records, path):
    """Horizontal bars of each method's headline top-1 beside its baseline's; returns `path`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from matplotlib.patches import Patch

    methods = sorted(records, key=lambda m: table_order(m, records[m]["kind"]))
    figure, ax = plt.subplots(figsize=(8, 1.0 + 0.4 * len(methods)))
    for i, method in enumerate(methods):
        key, value = headline(records[method])
        ax.barh(i - 0.2, 100 * value, height=0.4, color="tab:blue")
        reference = baseline(method, records)
        if reference:
            ax.barh(i + 0.2, 100 * reference[1][key], height=0.4, color="tab:gray")
    ax.set_yticks(
        range(len(methods)), [f"{m} ({headline(records[m])[0]})" for m in methods], fontsize=8
    )
    ax.invert_yaxis()
    ax.set_xlabel("top-1 (%)")
    ax.set_title("embedded defaults against their baselines")
    legend = [
        Patch(color="tab:blue", label="method"),
        Patch(color="tab:gray", label=f"baseline (random init / {SEMI_BASELINE})"),
    ]
    ax.legend(handles=legend, fontsize=8, loc="center left", bbox_to_anchor=(1.0, 0.5))
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    plt.close(figure)
    return path


def _minutes(seconds):
    """`12m05s`."""
    return f"{int(seconds // 60)}m{int(seconds % 60):02d}s"


def progress_line(index, total, method, elapsed, durations):
    """`[i/N] method: elapsed, estimated time left` where the estimate is the mean duration of
    the methods run so far times those left (this one included)."""
    left = _minutes(statistics.mean(durations) * (total - index + 1)) if durations else "unknown"
    return f"[{index}/{total}] {method}: elapsed {_minutes(elapsed)}, about {left} left"


def write_outputs(results_dir, table_path, chart_path, readme_path=""):
    """The table and the chart of every record in `results_dir`, and the table into
    `readme_path`'s results block when given (nothing when there are no records)."""
    records = load_records(results_dir)
    if not records:
        return
    with atomic_write(table_path) as tmp, open(tmp, "w") as f:
        f.write(markdown(records))
    bar_chart(records, chart_path)
    written = [table_path, chart_path]
    if readme_path:
        with open(readme_path) as f:
            text = replace_results_block(f.read(), results_block(records), readme_path)
        with atomic_write(readme_path) as tmp, open(tmp, "w") as f:
            f.write(text)
        written.append(readme_path)
    print(f"wrote {', '.join(written)} ({len(records)} methods)", flush=True)


def main(argv):
    del argv
    from tfssl.configs import build_config

    kinds = embedded_kinds()
    todo = []
    for method in planned_methods(FLAGS.methods, kinds):
        if FLAGS.rerun or not os.path.exists(os.path.join(FLAGS.results_dir, f"{method}.json")):
            todo.append(method)
        else:
            print(f"{method}: done already ({FLAGS.results_dir}; --rerun redoes it)", flush=True)
    # Every run's config first, so that an override some method rejects fails before any training.
    configs = {m: build_config(m + SUFFIX, params_override=FLAGS.params_override) for m in todo}
    start, durations = time.time(), []
    for i, method in enumerate(todo, 1):
        print(progress_line(i, len(todo), method, time.time() - start, durations), flush=True)
        model_dir = os.path.join(FLAGS.work_dir, method)
        record = run_method(method, configs[method], kinds[method], model_dir)
        record["params_override"] = FLAGS.params_override
        write_json(record, os.path.join(FLAGS.results_dir, f"{method}.json"))
        durations.append(record["wall_seconds"])
        print(f"{method}: {json.dumps(record['figures'])} in {_minutes(durations[-1])}", flush=True)
    write_outputs(FLAGS.results_dir, FLAGS.table, FLAGS.chart, FLAGS.readme)


if __name__ == "__main__":
    quiet_tensorflow_logs()
    configure_host()  # Before main() imports TensorFlow.
    app.run(main)
