"""BYOL experiments: a quick run on the embedded dataset and the paper's ImageNet setting."""

from dataclasses import dataclass

from tfssl.configs import base, common
from tfssl.configs.registry import register_experiment, register_task


@register_task("byol")
@dataclass
class BYOLTaskConfig(base.TaskConfig):
    """BYOL's fields: the predictor's hidden width and τ_base of the target's cosine EMA."""

    method: str = "byol"
    predictor_hidden_dim: int = 4096
    base_momentum: float = 0.996

    def validate(self, path="task"):
        super().validate(path)
        if self.predictor_hidden_dim < 1 or not 0.0 <= self.base_momentum <= 1.0:
            raise base.ConfigError(
                f"{path}: need predictor_hidden_dim >= 1 and 0 <= base_momentum <= 1"
            )


@register_experiment("byol_embedded")
def byol_embedded():
    """Width-0.25 CIFAR ResNet-18 on the embedded digits; AdamW, τ_base 0.99.

    Per-image standardised input and horizontal flips take away the cues BYOL otherwise locks
    onto (the image's grey level, then the x position of the bright mass), and it needs 6× the
    steps of SimCLR: at 300 steps it stays below random init (docs/embedded_results.md).
    """
    task = BYOLTaskConfig(
        predictor_hidden_dim=512, base_momentum=0.99, **common.embedded_bootstrap_setup()
    )
    return common.embedded_experiment(task, train_steps=2400, checkpoint_interval=400)


@register_experiment("byol_imagenet")
def byol_imagenet():
    """BYOL on ImageNet: ResNet-50, projector/predictor 4096→256, batch 4096, LARS lr 0.2·B/256,
    wd 1.5e-6, 10 warm-up epochs of 1000, τ_base 0.996, the asymmetric blur (1.0 / 0.1) and
    solarisation (0 / 0.2) of the two views."""
    global_batch = 4096
    augmentation = base.AugmentationConfig(
        flip=True,
        color_jitter_strength=0.5,
        color_jitter_prob=0.8,
        grayscale_prob=0.2,
        blur_probs=[1.0, 0.1],
        solarize_probs=[0.0, 0.2],
    )
    task = BYOLTaskConfig(
        predictor_hidden_dim=4096,
        base_momentum=0.996,
        model=common.resnet50_model(hidden_dim=4096, output_dim=256, num_layers=2),
        **common.imagenet_data(global_batch, augmentation),
        **common.imagenet_lars(global_batch, base_learning_rate=0.2, weight_decay=1.5e-6),
    )
    return common.imagenet_experiment(task, epochs=1000)
