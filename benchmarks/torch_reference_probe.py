"""Independent PyTorch BYOL and SimCLR on `byol_embedded`'s augmented views, scored with
tfssl's linear probe: tells an implementation bug in tfssl apart from a method that does not
learn digits in a short run on the embedded data.

The views come from tfssl's tf.data pipeline (seed 0; flips off and plain input, as in the
experiment's former 300-step default), so only the networks, losses and
optimiser differ from tfssl: a width-16 CIFAR ResNet-18 (128-d features), a 128→512→128
projector with BN, AdamW 2e-3 with weight decay 1e-4, 30 warm-up steps then cosine decay, and
for BYOL a 128→512→128 predictor and a target updated with τ from 0.99 to 1 (cosine).
Prints one JSON line per method with its linear top-1 on the embedded test split.

  pip install torch==2.13.0   # benchmark-only dependency, not in requirements.txt
  python benchmarks/torch_reference_probe.py [--methods random,simclr,byol] [--steps 300]
"""

import argparse
import copy
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

# The repository root, for tfssl; this script's own folder (torch_simclr) is already on the path.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from torch_simclr import CifarResNet18, nt_xent  # noqa: E402

BATCH = 128
WARMUP_STEPS = 30


def embedded_arrays(steps):
    """`byol_embedded`'s first `steps` batches of two views as uint8 [steps·B, 2, 32, 32, 3], and
    the un-augmented train and test splits as float [N, 32, 32, 3] with their labels."""
    import tensorflow as tf

    from tfssl.configs.registry import get_experiment
    from tfssl.data import inputs

    task = get_experiment("byol_embedded").task
    # The comparison in benchmarks/README.md used the former default's views: no flips.
    task.train_data.augmentation.flip = False
    source, _ = inputs.build_source(task.train_data)
    stream = inputs.train_input_fn(source, task.train_data, seed=0)(tf.distribute.InputContext())
    views = np.concatenate(
        [
            np.round(np.stack([np.asarray(v) for v in batch["views"]], axis=1) * 255).astype(
                np.uint8
            )
            for batch in stream.take(steps)
        ]
    )

    def split(dataset):
        images, labels = zip(*((np.asarray(b["image"]), np.asarray(b["label"])) for b in dataset))
        return np.concatenate(images), np.concatenate(labels)

    return views, split(inputs.train_split_input(task)), split(inputs.eval_input(task.eval_data))


def mlp(dim_in, hidden, dim_out):
    return nn.Sequential(
        nn.Linear(dim_in, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Linear(hidden, dim_out)
    )


def regression(p, z):
    """BYOL's 2 − 2·cos(p, z), averaged over the batch."""
    return (2 - 2 * F.cosine_similarity(p, z, dim=-1)).mean()


def train(method, views, steps, lr=2e-3, base_momentum=0.99):
    """Trains an encoder with `method` (simclr | byol) on `views` and returns it."""
    encoder, projector = CifarResNet18(width=16), mlp(128, 512, 128)
    online = [encoder, projector]
    if method == "byol":
        predictor = mlp(128, 512, 128)
        targets = [copy.deepcopy(encoder), copy.deepcopy(projector)]
        for parameter in (p for t in targets for p in t.parameters()):
            parameter.requires_grad_(False)
        online.append(predictor)
    optimizer = torch.optim.AdamW(
        [p for m in online for p in m.parameters()], lr=lr, weight_decay=1e-4
    )
    for step in range(steps):
        if step < WARMUP_STEPS:
            rate = lr * (step + 1) / WARMUP_STEPS
        else:
            progress = (step - WARMUP_STEPS) / (steps - WARMUP_STEPS)
            rate = lr * 0.5 * (1 + math.cos(math.pi * progress))
        for group in optimizer.param_groups:
            group["lr"] = rate
        batch = torch.from_numpy(views[step * BATCH : (step + 1) * BATCH]).float() / 255
        x = torch.cat([batch[:, 0], batch[:, 1]]).permute(0, 3, 1, 2).contiguous()  # [2B, 3, H, W]
        z = projector(encoder(x))
        if method == "simclr":
            loss = nt_xent(z, 0.5)
        else:
            p = predictor(z)
            with torch.no_grad():
                t = targets[1](targets[0](x))
            loss = regression(p[:BATCH], t[BATCH:]) + regression(p[BATCH:], t[:BATCH])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if method == "byol":
            tau = 1 - (1 - base_momentum) * (math.cos(math.pi * step / (steps - 1)) + 1) / 2
            with torch.no_grad():
                for target, source in zip(targets, (encoder, projector)):
                    for t, s in zip(target.parameters(), source.parameters()):
                        t.mul_(tau).add_((1 - tau) * s)
                    for t, s in zip(target.buffers(), source.buffers()):
                        t.copy_(s)
    return encoder


def features(encoder, images):
    encoder.eval()
    with torch.no_grad():
        return np.concatenate(
            [
                encoder(
                    torch.from_numpy(images[i : i + 512]).permute(0, 3, 1, 2).contiguous()
                ).numpy()
                for i in range(0, len(images), 512)
            ]
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", default="random,simclr,byol")
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args()
    torch.set_num_threads(2)
    from tfssl.configs import base
    from tfssl.evaluation import protocols

    views, (train_x, train_y), (test_x, test_y) = embedded_arrays(args.steps)
    probe = base.EvaluationConfig()
    for method in args.methods.split(","):
        torch.manual_seed(0)
        if method == "random":
            encoder = CifarResNet18(width=16)
        else:
            encoder = train(method, views, args.steps)
        scores = {
            "train": (features(encoder, train_x), train_y),
            "test": (features(encoder, test_x), test_y),
        }
        result = protocols.linear_protocol(scores, probe, seed=0)
        print(
            json.dumps(
                {
                    "method": f"torch_{method}",
                    "steps": 0 if method == "random" else args.steps,
                    "linear_top1": round(float(result["top1"]), 4),
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
