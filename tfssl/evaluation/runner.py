"""`eval.py`'s work: restore (or randomly initialise) a model_dir's encoder under the training
strategy, extract train/test features once (cached in `model_dir/features/`), run a protocol,
draw the retrieval grid and embedding plot, and write `model_dir/eval_<protocol>.json`."""

import dataclasses
import hashlib
import json
import os

import keras
import numpy as np
import tensorflow as tf

from tfssl import export
from tfssl.data import inputs
from tfssl.evaluation import finetune as finetune_lib
from tfssl.evaluation import plots, protocols
from tfssl.evaluation.features import split_features
from tfssl.files import atomic_write, write_json
from tfssl.training.trainer import build_model, restore_model, strategy_from_config


@dataclasses.dataclass
class EvalOptions:
    """Protocol settings that are not part of the experiment config (eval.py flags)."""

    k: int = 200
    temperature: float = 0.07
    label_fraction: float = 1.0
    finetune_steps: int = 0  # 0: the supervised recipe's own number of steps
    embedding: str = "pca"
    plots: bool = True
    random_init: bool = False
    checkpoint: str = None


def load_model(config, model_dir, checkpoint=None, random_init=False):
    """The model of `model_dir` (latest or given checkpoint), or the same architecture freshly
    initialised with `runtime.seed` when `random_init` (the baseline every protocol is read
    against). Call inside the strategy scope."""
    if not random_init:
        return restore_model(config, model_dir, checkpoint)
    keras.utils.set_random_seed(config.runtime.seed)
    return build_model(config, config.trainer.train_steps)


def feature_cache_path(config, model_dir, options):
    """`model_dir/features/<encoder>-<digest>.npz`: the encoder is the checkpoint's name, or
    `random_init_seed<N>`; the digest covers the model and data configs, so a different seed or
    an eval-time override of the data never reads features extracted under other settings."""
    if options.random_init:
        encoder = f"random_init_seed{config.runtime.seed}"
    else:
        checkpoint = options.checkpoint or tf.train.latest_checkpoint(model_dir)
        encoder = os.path.basename(checkpoint)
    task = config.as_dict()["task"]
    settings = {part: task[part] for part in ("model", "train_data", "eval_data")}
    digest = hashlib.sha1(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:10]
    return os.path.join(model_dir, "features", f"{encoder}-{digest}.npz")


def _results_suffix(options):
    """File-name suffix of one evaluation's JSON and plots: empty for the latest checkpoint."""
    if options.random_init:
        return "_random_init"
    if options.checkpoint:
        return f"_{os.path.basename(options.checkpoint)}"
    return ""


def cached_features(config, encoder, path, strategy=None):
    """`{"train": (x, y), "test": (x, y)}` of `encoder` on the task's train and eval splits,
    read from `path` when an earlier run extracted them, else extracted and saved there."""
    if os.path.exists(path):
        with np.load(path) as cache:
            return {
                split: (cache[f"{split}_x"], cache[f"{split}_y"]) for split in ("train", "test")
            }
    features = split_features(config.task, encoder, strategy)
    arrays = {
        f"{split}_{part}": value for split, xy in features.items() for part, value in zip("xy", xy)
    }
    with atomic_write(path) as tmp:
        np.savez(tmp, **arrays)
    return features


def images_at(source, indices):
    """uint8 images of an unbatched `{"image", "label"}` source at `indices` (any order)."""
    wanted = {int(i) for i in np.ravel(indices)}
    found = {}
    for i, example in enumerate(source.as_numpy_iterator()):
        if i in wanted:
            found[i] = example["image"]
            if len(found) == len(wanted):
                break
    images = np.stack([found[int(i)] for i in np.ravel(indices)])  # [n, H, W, 3]
    return images.reshape(np.shape(indices) + images.shape[1:])


def write_plots(config, features, model_dir, method="pca", num_queries=8, k=8, seed=0, suffix=""):
    """`retrieval<suffix>.png` (test queries and their top-k train neighbours) and
    `embedding_<method><suffix>.png` (test features coloured by label) in `model_dir`."""
    (train_x, train_y), (test_x, test_y) = features["train"], features["test"]
    queries = np.random.default_rng(seed).choice(len(test_x), num_queries, replace=False)
    neighbours = plots.nearest_neighbours(train_x, test_x[queries], k)  # [Q, k]
    train_source, _ = inputs.build_source(config.task.train_data)
    test_source, _ = inputs.build_source(config.task.eval_data)
    paths = [
        plots.retrieval_grid(
            images_at(test_source, queries),
            images_at(train_source, neighbours),
            os.path.join(model_dir, f"retrieval{suffix}.png"),
            test_y[queries],
            train_y[neighbours],
        )
    ]
    subset = np.random.default_rng(seed).permutation(len(test_x))[:2000]
    paths.append(
        plots.embedding_plot(
            test_x[subset],
            test_y[subset],
            os.path.join(model_dir, f"embedding_{method}{suffix}.png"),
            method,
            seed,
        )
    )
    return paths


def head_assignments(model, features, batch_size=4096):
    """argmax of the model's own cluster head on features [N, D], or None when it has none."""
    if model.cluster_logits(tf.zeros([1, features.shape[1]])) is None:
        return None
    return np.concatenate(
        [
            np.argmax(model.cluster_logits(tf.constant(features[i : i + batch_size])), axis=-1)
            for i in range(0, len(features), batch_size)
        ]
    )


def _finetune(config, model, features, options, model_dir, strategy):
    """The `supervised` recipe from the evaluated encoder and from scratch, on the same labels."""
    return {
        "protocol": "finetune",
        **finetune_lib.finetune(
            config,
            model.evaluation_encoder,
            model_dir,
            options.label_fraction,
            num_classes=int(features["train"][1].max()) + 1,
            steps=options.finetune_steps,
            strategy=strategy,
        ),
    }


def evaluate(config, model_dir, protocol, options=None, strategy=None):
    """Runs `protocol` (linear | knn | finetune | clustering | classifier) on `model_dir` and returns its
    results dict, also written to `model_dir/eval_<protocol>.json`. The random-init baseline and
    an explicitly chosen checkpoint write `eval_<protocol>_random_init.json` and
    `eval_<protocol>_<checkpoint name>.json`, so they never overwrite the final encoder's results.
    """
    options = options or EvalOptions()
    strategy = strategy or strategy_from_config(config.runtime)
    with strategy.scope():
        model = load_model(config, model_dir, options.checkpoint, options.random_init)
    features = cached_features(
        config, model.evaluation_encoder, feature_cache_path(config, model_dir, options), strategy
    )
    if protocol == "linear":
        results = protocols.linear_protocol(features, config.task.evaluation, config.runtime.seed)
    elif protocol == "knn":
        results = protocols.knn_protocol(features, options.k, options.temperature)
    elif protocol == "clustering":
        results = protocols.clustering_protocol(
            features,
            seed=config.runtime.seed,
            head_clusters=head_assignments(model, features["test"][0]),
        )
    elif protocol == "classifier":
        if not export.has_class_head(model):
            raise ValueError(
                f"{config.task.method} has no class head; evaluate its encoder with "
                "--protocol=linear, knn or finetune"
            )
        results = protocols.classifier_protocol(model.class_logits, features)
        results.update(
            protocols.other_classifier_results(
                model, lambda: inputs.eval_input(config.task.eval_data)
            )
        )
    elif protocol == "finetune":
        results = _finetune(config, model, features, options, model_dir, strategy)
    else:
        raise ValueError(f"unknown protocol '{protocol}'")
    results["random_init"] = options.random_init
    suffix = _results_suffix(options)
    if options.plots:
        write_plots(
            config, features, model_dir, options.embedding, seed=config.runtime.seed, suffix=suffix
        )
    write_json(results, os.path.join(model_dir, f"eval_{protocol}{suffix}.json"))
    return results
