"""IIC experiments: a quick run on the embedded digits and the paper's CIFAR-10 setting (IIC
reports no ImageNet run)."""

from dataclasses import dataclass

from tfssl.configs import base, common
from tfssl.configs.registry import register_experiment, register_task


@register_task("iic")
@dataclass
class IICTaskConfig(base.TaskConfig):
    """IIC: a `num_clusters`-way head and a `num_overclusters`-way over-clustering head, each
    with `num_subheads` sub-heads."""

    method: str = "iic"
    num_clusters: int = 10
    num_overclusters: int = 50
    num_subheads: int = 5

    def validate(self, path="task"):
        super().validate(path)
        if min(self.num_clusters, self.num_overclusters) < 2 or self.num_subheads < 1:
            raise base.ConfigError(
                f"{path}: need num_clusters, num_overclusters >= 2 and num_subheads >= 1"
            )


@register_experiment("iic_embedded")
def iic_embedded():
    """10 clusters and 100 over-clusters on the embedded backbone with standardised input, two
    32×32 crops (scale 0.3–1) per image, batch 128, AdamW. With the paper's MNIST setting of 50
    over-clusters the linear probe read 43.0% at seed 0 (random init 41.2%); with 100, 56.6%
    (k-means NMI 0.201 against 0.033). At seed 1 both collapse (14.6% and 12.6%, random init
    27.9%)."""
    data = common.embedded_data(views=base.ViewsConfig(global_size=32, global_scale=[0.3, 1.0]))
    task = IICTaskConfig(
        num_overclusters=100,
        model=base.ModelConfig(backbone=common.embedded_backbone(standardize_input=True)),
        **data,
        **common.embedded_adamw(warmup_steps=20),
    )
    return common.embedded_experiment(task, train_steps=400)


@register_experiment("iic_cifar10")
def iic_cifar10():
    """IIC on CIFAR-10 as the paper: 10 clusters, 70 over-clusters, 5 sub-heads each, Sobel
    input, Adam 1e-4, batch 660, ResNet-34 stood in by the CIFAR ResNet-18."""
    train = base.DataConfig(
        source="tfds",
        tfds_name="cifar10",
        split="train",
        global_batch_size=660,
        image_size=32,
        augmentation=base.AugmentationConfig(flip=True, color_jitter_strength=0.5),
        views=base.ViewsConfig(global_size=32, global_scale=[0.3, 1.0]),
    )
    task = IICTaskConfig(
        num_overclusters=70,
        model=base.ModelConfig(backbone=base.BackboneConfig(type="resnet18", sobel=True)),
        train_data=train,
        eval_data=base.EvalDataConfig(source="tfds", tfds_name="cifar10", split="test"),
        optimizer=base.OptimizerConfig(type="adam", weight_decay=0.0),
        learning_rate=base.LearningRateConfig(
            type="constant", base_learning_rate=1e-4, scaling="none", warmup_steps=0
        ),
    )
    steps = 2000 * (50000 // 660)
    return base.ExperimentConfig(
        task=task,
        trainer=base.TrainerConfig(train_steps=steps, checkpoint_interval=5000, log_interval=100),
        runtime=base.RuntimeConfig(distribution_strategy="mirrored"),
    )
