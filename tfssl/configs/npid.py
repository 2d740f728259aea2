"""NPID experiments: a quick run on the embedded digits and the paper's ImageNet setting."""

from dataclasses import dataclass

from tfssl.configs import base, common
from tfssl.configs.registry import register_experiment, register_task


@register_task("npid")
@dataclass
class NPIDTaskConfig(base.TaskConfig):
    """NPID: an `embedding_dim` linear embedding, softmax temperature `temperature` against the
    memory bank, bank rows moved with momentum `memory_momentum`."""

    method: str = "npid"
    temperature: float = 0.07
    memory_momentum: float = 0.5
    embedding_dim: int = 128
    # "uniform": random rows as the paper; "features": the initial network's embeddings.
    bank_init: str = "uniform"

    def validate(self, path="task"):
        super().validate(path)
        if self.temperature <= 0 or not 0.0 <= self.memory_momentum < 1.0:
            raise base.ConfigError(f"{path}: need temperature > 0 and memory_momentum in [0, 1)")
        if self.embedding_dim < 1:
            raise base.ConfigError(f"{path}.embedding_dim must be >= 1")
        base._check_choice(f"{path}.bank_init", self.bank_init, ("uniform", "features"))


def single_view(views):
    """NPID sees one augmented view per image per step."""
    views.num_global = 1
    return views


@register_experiment("npid_embedded")
def npid_embedded():
    """The embedded backbone, one 32×32 crop (scale 0.2–1) with colour jitter per image, batch
    128, τ = 0.1 (the paper's CIFAR value), AdamW, 800 steps (9 epochs). The bank starts as the
    initial network's embeddings: from random rows, 400 steps scored 20.1% on the linear probe,
    below random init (41.2%)."""
    data = common.embedded_data()
    single_view(data["train_data"].views)
    task = NPIDTaskConfig(
        temperature=0.1,
        bank_init="features",
        model=base.ModelConfig(backbone=common.embedded_backbone(standardize_input=True)),
        **data,
        **common.embedded_adamw(warmup_steps=20),
    )
    return common.embedded_experiment(task, train_steps=800)


@register_experiment("npid_imagenet")
def npid_imagenet():
    """NPID on ImageNet as the paper: ResNet-50, 128-d, τ = 0.07, batch 256, SGD 0.03
    (momentum 0.9, weight decay 1e-4), 200 epochs with the rate ×0.1 at epochs 120 and 160.
    The full softmax over the 1.28M-row bank stands in for NCE with 4096 negatives."""
    global_batch = 256
    data = common.imagenet_data(
        global_batch, base.AugmentationConfig(flip=True, color_jitter_strength=0.5)
    )
    single_view(data["train_data"].views)
    steps_per_epoch = common.steps_per_epoch(global_batch)
    task = NPIDTaskConfig(
        model=base.ModelConfig(
            backbone=base.BackboneConfig(type="resnet50", stem="imagenet", sync_bn=True)
        ),
        **data,
        **common.sgd(
            base_learning_rate=0.03,
            weight_decay=1e-4,
            type="step",
            decay_boundaries=[120 * steps_per_epoch, 160 * steps_per_epoch],
        ),
    )
    return common.imagenet_experiment(task, epochs=200, distribution_strategy="mirrored")
