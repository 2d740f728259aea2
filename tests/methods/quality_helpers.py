"""The comparison every default-run quality test makes: the trained encoder's linear probe
against the probe of the very weights training started from."""

from tfssl.evaluation import evaluate_linear
from tfssl.evaluation.runner import load_model
from tfssl.training import train


def train_and_probe(config, model_dir):
    """Trains `config` in `model_dir`; returns (model, history, trained top-1, random-init top-1).

    The baseline is `eval.py --random_init`'s encoder: the architecture initialised with
    `runtime.seed`, i.e. the run's own starting point. Across seeds that baseline moves a lot
    (27.8-41.2% for the standardised embedded ResNet), so it must not be drawn from whatever
    random state training left behind.
    """
    model, history = train(config, model_dir)
    trained = evaluate_linear(config, model.encoder)["top1"]
    baseline = evaluate_linear(config, load_model(config, None, random_init=True).encoder)["top1"]
    return model, history, trained, baseline
