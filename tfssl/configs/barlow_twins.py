"""Barlow Twins experiments: a quick run on the embedded dataset and the paper's ImageNet
setting."""

from dataclasses import dataclass

from tfssl.configs import base, common
from tfssl.configs.registry import register_experiment, register_task


@register_task("barlow_twins")
@dataclass
class BarlowTwinsTaskConfig(base.TaskConfig):
    """Barlow Twins' field: `lambd`, the weight of the off-diagonal terms."""

    method: str = "barlow_twins"
    lambd: float = 5e-3

    def validate(self, path="task"):
        super().validate(path)
        if self.lambd < 0:
            raise base.ConfigError(f"{path}.lambd must be >= 0")


@register_experiment("barlow_twins_embedded")
def barlow_twins_embedded():
    """Width-0.25 CIFAR ResNet-18 on the embedded digits, projector 3×512, AdamW, 800 steps
    (about 9 epochs: at 400 steps the linear probe was still at random-init level, 36.2%)."""
    task = BarlowTwinsTaskConfig(
        lambd=5e-3,
        model=common.embedded_model(hidden_dim=512, output_dim=512, num_layers=3),
        **common.embedded_data(),
        **common.embedded_adamw(),
    )
    return common.embedded_experiment(task, train_steps=800, checkpoint_interval=200)


@register_experiment("barlow_twins_imagenet")
def barlow_twins_imagenet():
    """Barlow Twins on ImageNet: ResNet-50, projector 8192-8192-8192, batch 2048, λ 5e-3, LARS
    lr 0.2·B/256 (the paper's separate 0.0048 rate for biases and BN is approximated by one
    rate), wd 1.5e-6, 10 warm-up epochs of 1000."""
    global_batch = 2048
    augmentation = base.AugmentationConfig(
        flip=True,
        color_jitter_strength=0.5,
        color_jitter_prob=0.8,
        grayscale_prob=0.2,
        blur_prob=0.55,
        solarize_prob=0.1,
    )
    task = BarlowTwinsTaskConfig(
        lambd=5e-3,
        model=common.resnet50_model(hidden_dim=8192, output_dim=8192, num_layers=3),
        **common.imagenet_data(global_batch, augmentation),
        **common.imagenet_lars(global_batch, base_learning_rate=0.2, weight_decay=1.5e-6),
    )
    return common.imagenet_experiment(task, epochs=1000)
