"""SupCon experiments: a quick run on the embedded digits with every training label, and the
paper's ImageNet setting."""

from dataclasses import dataclass

from tfssl.configs import base, common
from tfssl.configs.registry import register_experiment, register_task


@register_task("supcon")
@dataclass
class SupConTaskConfig(base.TaskConfig):
    """SupCon (L_out) at temperature `temperature` with loss scale `temperature` /
    `base_temperature`; `num_per_class` > 0 reads only that many labels per class (chosen by
    `runtime.seed`, as the semi-supervised labeled split) and makes every other image its own
    class, 0 reads every training label."""

    method: str = "supcon"
    temperature: float = 0.1
    base_temperature: float = 0.07
    num_per_class: int = 0

    def validate(self, path="task"):
        super().validate(path)
        if self.temperature <= 0 or self.base_temperature <= 0:
            raise base.ConfigError(f"{path}: need temperature > 0 and base_temperature > 0")
        if self.num_per_class < 0:
            raise base.ConfigError(f"{path}.num_per_class must be >= 0 (0: every label)")


@register_experiment("supcon_embedded")
def supcon_embedded():
    """Every one of the 11,504 training labels; the embedded backbone with per-image
    standardised input (as the labels-only `supervised_embedded` network it is compared with), a
    2-layer 512→128 projection head, two 32×32 crops of scale 0.5–1 with colour jitter at 0.5
    (the paper's CIFAR magnitude), batch 128, τ = 0.1, AdamW 2e-3, 400 steps; stage 2 is the
    linear probe of `--mode=train_and_eval`. Seed 0: linear probe 94.7% (90.9% with SimCLR's
    crops of scale 0.2–1, which can cut a digit in half)."""
    task = SupConTaskConfig(
        temperature=0.1,
        model=common.embedded_model(
            hidden_dim=512, output_dim=128, num_layers=2, standardize_input=True
        ),
        **common.embedded_data(
            views=base.ViewsConfig(num_global=2, global_size=32, global_scale=[0.5, 1.0])
        ),
        **common.embedded_adamw(warmup_steps=40),
    )
    return common.embedded_experiment(task, train_steps=400)


@register_experiment("supcon_imagenet")
def supcon_imagenet():
    """SupCon on ImageNet as the paper: ResNet-50 with a 2048→128 projection head, batch 6144
    (the paper's TPU batch: 208 steps per epoch; on fewer accelerators lower it with the
    learning rate), τ = 0.1 and τ_base = 0.07, LARS at rate 0.4 with weight decay 1e-3 (as
    quoted from the release, verify), 10 warm-up epochs then cosine, 350 epochs. The paper's
    AutoAugment is not in tfssl's view pipeline; SimCLR's augmentation (flips, colour jitter at
    strength 1, blur on half the views) stands in for it."""
    global_batch = 6144
    task = SupConTaskConfig(
        temperature=0.1,
        base_temperature=0.07,
        model=common.resnet50_model(hidden_dim=2048, output_dim=128, num_layers=2),
        **common.imagenet_data(
            global_batch,
            base.AugmentationConfig(flip=True, color_jitter_strength=1.0, blur_prob=0.5),
        ),
        **common.imagenet_lars(global_batch, base_learning_rate=0.4, weight_decay=1e-3),
    )
    task.learning_rate.scaling = "none"
    return common.imagenet_experiment(task, epochs=350)
