"""RotNet experiments: a quick run on the embedded dataset and the paper's ImageNet setting."""

from dataclasses import dataclass

from tfssl.configs import base, common, pretext
from tfssl.configs.registry import register_experiment, register_task


@register_task("rotnet")
@dataclass
class RotNetTaskConfig(base.TaskConfig):
    method: str = "rotnet"


@register_experiment("rotnet_embedded")
def rotnet_embedded():
    """Width-0.25 CIFAR ResNet-18 on the embedded digits: 64 images × 4 rotations per step,
    AdamW."""
    task = RotNetTaskConfig(
        model=pretext.embedded_backbone(),
        **pretext.embedded_data(global_batch_size=64),
        **common.embedded_adamw(warmup_steps=20),
    )
    return common.embedded_experiment(task, train_steps=300)


@register_experiment("rotnet_imagenet")
def rotnet_imagenet():
    """RotNet on ImageNet with the paper's optimisation: batch 192 = 48 images × 4 rotations,
    SGD (momentum 0.9) lr 0.1, wd 5e-4, 30 epochs, the rate ×0.2 at epochs 10, 20 and 25.
    Approximations: ResNet-50 instead of AlexNet/NIN and a linear rotation classifier on
    pooled features."""
    task = RotNetTaskConfig(
        model=pretext.resnet50_backbone(),
        **pretext.imagenet_data(global_batch_size=48),
        **common.sgd(
            base_learning_rate=0.1,
            weight_decay=5e-4,
            type="step",
            decay_boundaries=[e * common.steps_per_epoch(48) for e in (10, 20, 25)],
            decay_rate=0.2,
        ),
    )
    return common.imagenet_experiment(task, epochs=30)
