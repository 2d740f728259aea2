"""SimCLR experiments: a quick run on the embedded dataset and the paper's ImageNet setting."""

from dataclasses import dataclass

from tfssl.configs import base, common
from tfssl.configs.registry import register_experiment, register_task


@register_task("simclr")
@dataclass
class SimCLRTaskConfig(base.TaskConfig):
    method: str = "simclr"
    temperature: float = 0.5


@register_experiment("simclr_embedded")
def simclr_embedded():
    """Width-0.25 CIFAR ResNet-18 on the 32×32 embedded digits, 400 steps of 128 images, AdamW."""
    task = SimCLRTaskConfig(
        temperature=0.5,
        model=common.embedded_model(hidden_dim=512, output_dim=128, num_layers=2),
        **common.embedded_data(),
        **common.embedded_adamw(warmup_steps=40),
    )
    return common.embedded_experiment(task, train_steps=400)


@register_experiment("simclr_imagenet")
def simclr_imagenet():
    """SimCLR v1 on ImageNet: ResNet-50 (each residual block's last BN starting at γ = 0, as in
    the SimCLR release), batch 4096, LARS lr 0.3·B/256, 100 epochs, T=0.1."""
    global_batch = 4096
    task = SimCLRTaskConfig(
        temperature=0.1,
        model=common.resnet50_model(hidden_dim=2048, output_dim=128, num_layers=2),
        **common.imagenet_data(
            global_batch,
            base.AugmentationConfig(flip=True, color_jitter_strength=1.0, blur_prob=0.5),
        ),
        **common.imagenet_lars(global_batch, base_learning_rate=0.3, weight_decay=1e-6),
    )
    return common.imagenet_experiment(task, epochs=100)
