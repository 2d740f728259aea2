"""Every method trains for 2 steps on 2 CPU replicas through the CLI (`train.py`'s flags and
`main`), all in one interpreter so TensorFlow starts once."""

import json
import os
import re

import pytest

from tests.test_cli import TINY, _run

# Extra overrides a method needs on top of TINY to stay tiny, and the metric its log line shows.
METHODS = {
    "byol": (",task.predictor_hidden_dim=8", "momentum"),
    "simsiam": (",task.predictor_hidden_dim=8", "embedding_std"),
    "barlow_twins": ("", "embedding_std"),
    "mocov1": (",task.queue_size=32", "embedding_std"),
    "mocov2": (",task.queue_size=32", "embedding_std"),
    "dino": (
        ",task.head.output_dim=16,task.head.hidden_dim=16,task.head.bottleneck_dim=8,"
        "task.train_data.views.num_local=2",
        "teacher_entropy",
    ),
    "swav": (
        ",task.num_prototypes=8,task.queue_length=16,task.queue_start_step=0,"
        "task.freeze_prototypes_steps=1,task.train_data.views.num_local=2",
        "embedding_std",
    ),
    "deepcluster": (",task.kmeans_iterations=2", "reclustered"),
    "deepercluster": (",task.kmeans_iterations=2,task.num_sub_clusters=3", "owned_fraction"),
    "rotnet": ("", "rotation_acc"),
    "npid": (",task.embedding_dim=8", "instance_acc"),
    "iic": (",task.num_overclusters=6,task.num_subheads=2", "cluster_loss"),
    "jigsaw": (
        ",task.num_permutations=10,task.tile_dim=8,task.head_hidden_dim=8",
        "permutation_acc",
    ),
    "relative_location": (",task.tile_dim=8,task.head_hidden_dim=8", "location_acc"),
    "pirl": (",task.embedding_dim=8", "tile_instance_acc"),
    "exemplar": (",task.classifier_init=random", "instance_acc"),
    "supcon": ("", "embedding_std"),
    "sela": (",task.num_clusters=8,task.num_heads=2,task.sinkhorn_iterations=50", "relabelled"),
    "supervised": ("", "labeled_acc"),
    "entmin": ("", "unsupervised_loss"),
    "pseudo_label": ("", "mask_rate"),
    "pi_model": ("", "unsup_weight"),
    "temporal_ensembling": ("", "target_rate"),
    "mean_teacher": ("", "unsupervised_loss"),
    "vat": (",task.entmin_weight=0.1", "entropy"),
    "fixmatch": (",task.distribution_alignment=true", "pseudo_label_acc"),
    "mixmatch": ("", "unsupervised_loss"),
    "s4l": ("", "rotation_acc"),
    "simclrv2": (
        ",task.head_hidden_dim=8,task.pretrain_steps=2,task.finetune_steps=2",
        "unsupervised_loss",
    ),
}
ORDER = sorted(METHODS)


@pytest.fixture(scope="module")
def logs(tmp_path_factory):
    """{method: (model_dir, exit code, that run's stderr)} of one `tests/train_many.py` call."""
    root = tmp_path_factory.mktemp("cli_methods")
    runs = [
        [
            f"--experiment={method}_embedded",
            f"--model_dir={root / method}",
            f"--params_override={TINY}{METHODS[method][0]}",
            "--mode=train",
            "--strategy=mirrored",
            "--cpu_replicas=2",
        ]
        for method in ORDER
    ]
    result = _run("tests/train_many.py", json.dumps(runs))
    sections = re.split(r"^=== RUN \d+\n", result.stderr, flags=re.M)[1:]
    assert len(sections) == len(ORDER), result.stderr[-3000:]
    out = {}
    for i, (method, text) in enumerate(zip(ORDER, sections)):
        code = int(re.search(rf"^=== EXIT {i} (\d+)$", text, flags=re.M).group(1))
        out[method] = (str(root / method), code, text)
    return out


@pytest.mark.parametrize("method", ORDER)
def test_method_trains_two_steps_on_two_cpu_replicas(logs, method):
    model_dir, code, log = logs[method]
    assert code == 0, log[-3000:]
    assert "Training on 2 replicas: CPU:0, CPU:1 (strategy mirrored)" in log
    assert "step 2/2" in log and METHODS[method][1] in log, log[-3000:]
    assert os.path.exists(os.path.join(model_dir, "ckpt-2.index"))
