"""eval.py's protocols on a 2-step tiny SimCLR model_dir: JSON contract, cached features,
pictures, the label fraction actually used, and export through train.py's run_experiment."""

import glob
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from tests.training.helpers import tiny_simclr_config
from tfssl.evaluation.runner import EvalOptions, evaluate, feature_cache_path
from tfssl.training import run_experiment, train
from tfssl.training.trainer import restore_model

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    directory = str(tmp_path_factory.mktemp("eval") / "run")
    train(tiny_simclr_config(trainer={"train_steps": 2}), directory)
    return directory


def _read(model_dir, name):
    with open(os.path.join(model_dir, name)) as f:
        return json.load(f)


def test_training_writes_curve_png(model_dir):
    with open(os.path.join(model_dir, "training_curve.png"), "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_protocols_share_cached_features_and_write_json(model_dir):
    config = tiny_simclr_config(trainer={"train_steps": 2})
    knn = evaluate(config, model_dir, "knn", EvalOptions(k=20, plots=True))
    (cache,) = glob.glob(os.path.join(model_dir, "features", "ckpt-2-*.npz"))
    cached_at = os.path.getmtime(cache)
    with np.load(cache) as arrays:
        assert arrays["train_x"].shape[0] == 11504 and arrays["test_x"].shape[0] == 1436
        assert arrays["train_x"].shape[1] == arrays["test_x"].shape[1]
    clustering = evaluate(config, model_dir, "clustering", EvalOptions(plots=False))
    assert os.path.getmtime(cache) == cached_at  # read back, not extracted again
    assert (
        knn == _read(model_dir, "eval_knn.json")
        and knn["protocol"] == "knn"
        and 0 <= knn["top1"] <= 1
    )
    assert clustering == _read(model_dir, "eval_clustering.json")
    assert set(clustering) >= {"protocol", "top1", "nmi", "ari", "accuracy"}
    for picture in ("retrieval.png", "embedding_pca.png"):
        assert os.path.getsize(os.path.join(model_dir, picture)) > 1000


def test_explicit_checkpoint_writes_its_own_json(model_dir):
    config = tiny_simclr_config(trainer={"train_steps": 2})
    latest = evaluate(config, model_dir, "knn", EvalOptions(k=7, plots=False))
    chosen = evaluate(
        config,
        model_dir,
        "knn",
        EvalOptions(k=3, plots=False, checkpoint=os.path.join(model_dir, "ckpt-2")),
    )
    assert _read(model_dir, "eval_knn_ckpt-2.json") == chosen and chosen["k"] == 3
    assert _read(model_dir, "eval_knn.json") == latest and latest["k"] == 7


def test_finetune_is_the_supervised_recipe_from_the_encoder_and_from_scratch(model_dir):
    """Both runs read exactly the 10% class-balanced labels; the pretrained run starts from the
    evaluated encoder's weights, the scratch run from random ones, with the same recipe. (Seed
    1: the 2-step SimCLR encoder is nearly its seed-0 initialisation.)"""
    config = tiny_simclr_config(trainer={"train_steps": 2}, runtime={"seed": 1})
    results = evaluate(
        config,
        model_dir,
        "finetune",
        EvalOptions(label_fraction=0.1, finetune_steps=1, plots=False),
    )
    assert results["num_labeled"] == 1150  # 10% of the 11504 embedded train images
    assert sum(results["labeled_per_class"]) == 1150
    assert max(results["labeled_per_class"]) - min(results["labeled_per_class"]) <= 6
    assert results["recipe"] == "supervised_embedded" and results["steps"] == 1
    assert 0.0 <= results["top1"] <= 1.0 and 0.0 <= results["top1_from_scratch"] <= 1.0
    runs = os.path.join(model_dir, "finetune", "fraction0.1-steps1")
    trained = {start: restore(runs, start) for start in ("pretrained", "scratch")}
    encoder = restore_model(config, model_dir).encoder  # the checkpoint, whatever the seed
    # One AdamW step moves a weight by at most the learning rate (2e-3, plus a decay of 2e-7·w):
    # the pretrained run's first kernel is within that of the evaluated one's, the scratch
    # run's is another random draw.
    first_kernel = encoder.trainable_weights[0].numpy()
    gap = {
        start: np.max(np.abs(m.encoder.trainable_weights[0].numpy() - first_kernel))
        for start, m in trained.items()
    }
    assert gap["pretrained"] <= 2.01e-3 and gap["scratch"] > 0.05


def restore(runs, start):
    from tfssl import configs

    directory = os.path.join(runs, start)
    return restore_model(configs.load_model_dir_config(directory), directory)


@pytest.mark.slow  # 19 s; keeps the default suite under 10 minutes on 2 cores.
def test_random_init_baseline_does_not_overwrite(model_dir):
    config = tiny_simclr_config(trainer={"train_steps": 2})
    evaluate(config, model_dir, "knn", EvalOptions(k=20, plots=False, random_init=True))
    assert _read(model_dir, "eval_knn_random_init.json")["random_init"] is True
    assert glob.glob(os.path.join(model_dir, "features", "random_init_seed0-*.npz"))


def test_feature_cache_is_keyed_by_seed_and_data_settings(model_dir):
    """A random-init baseline of another seed, or an eval-time data override, must not read
    features cached under other settings."""
    config = tiny_simclr_config(trainer={"train_steps": 2})
    other_seed = tiny_simclr_config(trainer={"train_steps": 2}, runtime={"seed": 1})
    other_data = tiny_simclr_config(trainer={"train_steps": 2})
    other_data.task.eval_data.image_size += 4
    baseline = EvalOptions(random_init=True)
    path = feature_cache_path(config, model_dir, baseline)
    same = tiny_simclr_config(trainer={"train_steps": 2})
    assert path == feature_cache_path(same, model_dir, baseline)
    assert os.path.basename(path).startswith("random_init_seed0-")
    assert path != feature_cache_path(other_seed, model_dir, baseline)
    assert path != feature_cache_path(other_data, model_dir, baseline)
    latest = feature_cache_path(config, model_dir, EvalOptions())
    assert os.path.basename(latest).startswith("ckpt-2-")
    assert latest != feature_cache_path(other_data, model_dir, EvalOptions())


def test_eval_cli_prints_what_it_writes(model_dir):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    result = subprocess.run(
        [
            sys.executable,
            os.path.join(ROOT, "eval.py"),
            f"--model_dir={model_dir}",
            "--protocol=knn",
            "--k=5",
            "--noplots",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    printed = json.loads(result.stdout.strip().splitlines()[-1])
    assert printed == _read(model_dir, "eval_knn.json") and printed["k"] == 5


def test_export_mode_writes_saved_model(model_dir):
    config = tiny_simclr_config(trainer={"train_steps": 2})
    results = run_experiment(config, model_dir, mode="export")
    assert os.path.exists(os.path.join(results["export_dir"], "saved_model.pb"))
