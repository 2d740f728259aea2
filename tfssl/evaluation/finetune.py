"""Fine-tuning on few labels as the labels-only baseline's recipe: the `supervised` method (its
class head, weak augmentation, optimizer, schedule, EMA and step budget) trained on a
class-balanced fraction of the labels twice, from the pretrained encoder and from random
initialisation, so that "pretrained + fine-tuned" and "from scratch" are compared on equal
terms."""

import copy
import dataclasses
import os

import numpy as np

from tfssl import configs
from tfssl.data import inputs
from tfssl.evaluation.features import extract_features
from tfssl.evaluation.protocols import classifier_protocol
from tfssl.semi.base import source_labels
from tfssl.training.trainer import train

# The experiment whose task and schedule fine-tuning follows.
RECIPE = "supervised_embedded"


def finetune_config(config, label_fraction, num_classes, steps=None, recipe=RECIPE):
    """The experiment `recipe` on `config`'s backbone, data and runtime, reading
    `label_fraction` of the training labels (class-balanced, chosen by `runtime.seed`; 0 keeps
    the recipe's labels per class) for `steps` steps (default: the recipe's)."""
    recipe = configs.get_experiment(recipe)
    task = recipe.task
    task.model = copy.deepcopy(config.task.model)
    task.train_data = dataclasses.replace(
        copy.deepcopy(config.task.train_data),
        global_batch_size=task.train_data.global_batch_size,
    )
    task.eval_data = copy.deepcopy(config.task.eval_data)
    task.num_classes = num_classes
    task.labeled.fraction = label_fraction
    recipe.runtime = copy.deepcopy(config.runtime)
    if steps:
        recipe.trainer.train_steps = steps
    return recipe.validate()


def _load_encoder(encoder):
    """An `initialize` for `train`: the new model's encoder (and its EMA copy) start as
    `encoder`."""

    def initialize(model):
        model.encoder.set_weights(encoder.get_weights())
        model.reset_teachers()

    return initialize


def finetune(config, encoder, model_dir, label_fraction, num_classes, steps=None, strategy=None):
    """Test top-1 of the recipe's class head after fine-tuning from `encoder` and after training
    from scratch on the same labels; the runs are kept under
    `model_dir/finetune/fraction<f>-steps<n>/{pretrained,scratch}` (an existing run is resumed
    or reused).

    Returns:
      dict with "top1" (from `encoder`), "top1_from_scratch", the labels used and the steps.
    """
    recipe = finetune_config(config, label_fraction, num_classes, steps)
    steps = recipe.trainer.train_steps
    root = os.path.join(model_dir, "finetune", f"fraction{label_fraction:g}-steps{steps}")
    results = {}
    for start, initialize in (("pretrained", _load_encoder(encoder)), ("scratch", None)):
        model, _ = train(recipe, os.path.join(root, start), strategy, initialize=initialize)
        test = extract_features(model.evaluation_encoder, inputs.eval_input(recipe.task.eval_data))
        results[start] = classifier_protocol(model.class_logits, {"test": test})["top1"]
    labeled = model.labeled_indices(recipe.task.train_data, recipe.runtime.seed)
    labels = source_labels(recipe.task.train_data)
    return {
        "top1": results["pretrained"],
        "top1_from_scratch": results["scratch"],
        "recipe": RECIPE,
        "steps": steps,
        "label_fraction": label_fraction,
        "num_labeled": int(len(labeled)),
        "labeled_per_class": np.bincount(labels[labeled], minlength=num_classes).tolist(),
    }
