"""PyTorch reference for issue 6: the SimCLR train step of `tfssl.benchmark` in PyTorch.

CIFAR ResNet-18 (3×3 stem, no max-pool, 512-d features), projector 512→2048→128 with BN, NT-Xent
over the 2B views of a batch of B source images at 32×32, SGD with momentum, on synthetic
already-augmented views held in memory. Prints one JSON line per variant in the same format as
`python -m tfssl.benchmark --what=step`.

  pip install torch==2.13.0   # benchmark-only dependency, not in requirements.txt
  python benchmarks/torch_simclr.py [--batch 128] [--variants eager,compile_cl]
"""

import argparse
import json
import resource
import statistics
import time

import torch
import torch.nn.functional as F
from torch import nn


class BasicBlock(nn.Module):
    """Two 3×3 conv-BN layers with a residual connection (1×1 conv-BN when the shape changes)."""

    def __init__(self, in_channels, channels, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, channels, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_channels != channels:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, channels, 1, stride, bias=False), nn.BatchNorm2d(channels)
            )

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class CifarResNet18(nn.Module):
    """ResNet-18 with the CIFAR stem; returns pooled 8·width-d features (512-d at width 64)."""

    def __init__(self, width=64):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, width, 3, 1, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU()
        )
        stages, in_channels = [], width
        for channels, stride in ((width, 1), (2 * width, 2), (4 * width, 2), (8 * width, 2)):
            stages += [BasicBlock(in_channels, channels, stride), BasicBlock(channels, channels, 1)]
            in_channels = channels
        self.stages = nn.Sequential(*stages)

    def forward(self, x):
        return torch.flatten(F.adaptive_avg_pool2d(self.stages(self.stem(x)), 1), 1)


def nt_xent(z, temperature):
    """NT-Xent over 2B projections: row i's positive is its other view, i ± B."""
    z = F.normalize(z, dim=1)
    n = z.shape[0] // 2
    logits = z @ z.t() / temperature
    logits.fill_diagonal_(float("-inf"))
    targets = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
    return F.cross_entropy(logits, targets)


def build_step(compile_model, channels_last, batch):
    encoder = CifarResNet18()
    projector = nn.Sequential(
        nn.Linear(512, 2048, bias=False), nn.BatchNorm1d(2048), nn.ReLU(), nn.Linear(2048, 128)
    )
    model = nn.Sequential(encoder, projector)
    views = torch.rand(2 * batch, 3, 32, 32)  # [2B, 3, 32, 32], both views stacked
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
        views = views.contiguous(memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-6)
    forward = torch.compile(model) if compile_model else model

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = nt_xent(forward(views), 0.5)
        loss.backward()
        optimizer.step()
        return loss

    return step


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=128, help="source images per step")
    parser.add_argument("--steps", type=int, default=5, help="timed steps per window")
    parser.add_argument("--windows", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--variants", default="eager,eager_cl,compile,compile_cl")
    args = parser.parse_args()
    torch.manual_seed(0)
    for variant in args.variants.split(","):
        step = build_step(variant.startswith("compile"), variant.endswith("_cl"), args.batch)
        for _ in range(args.warmup):
            step()
        rates = []
        for _ in range(args.windows):
            start = time.perf_counter()
            for _ in range(args.steps):
                step()
            rates.append(args.steps * args.batch / (time.perf_counter() - start))
        rate = statistics.median(rates)
        print(
            json.dumps(
                {
                    "what": "step",
                    "experiment": f"torch_simclr_{variant}",
                    "global_batch": args.batch,
                    "images_per_sec": round(rate, 1),
                    "views_per_sec": round(2 * rate, 1),
                    "peak_rss_mb": round(
                        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
                    ),
                    "torch": torch.__version__,
                    "threads": torch.get_num_threads(),
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
