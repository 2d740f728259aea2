"""SimCLR experiments: a quick run on the embedded dataset and the paper's ImageNet setting."""

from dataclasses import dataclass

from tfssl.configs import base, common
from tfssl.configs.common import IMAGENET_TRAIN_EXAMPLES
from tfssl.configs.registry import register_experiment, register_task


@register_task("simclr")
@dataclass
class SimCLRTaskConfig(base.TaskConfig):
    method: str = "simclr"
    temperature: float = 0.5


@register_experiment("simclr_embedded")
def simclr_embedded():
    """Width-16 CIFAR ResNet-18 on the 32×32 embedded digits, 400 steps of 128 images, AdamW."""
    train_data, eval_data = common.embedded_data()
    task = SimCLRTaskConfig(
        temperature=0.5,
        model=common.embedded_model(hidden_dim=512, output_dim=128, num_layers=2),
        train_data=train_data,
        eval_data=eval_data,
        optimizer=base.OptimizerConfig(type="adamw", weight_decay=1e-4),
        learning_rate=base.LearningRateConfig(
            base_learning_rate=2e-3, scaling="none", warmup_steps=40
        ),
    )
    return common.embedded_experiment(task, train_steps=400)


@register_experiment("simclr_imagenet")
def simclr_imagenet():
    """SimCLR v1 on ImageNet: ResNet-50, batch 4096, LARS lr 0.3·B/256, 100 epochs, T=0.1."""
    global_batch = 4096
    steps_per_epoch = IMAGENET_TRAIN_EXAMPLES // global_batch
    train_data, eval_data = common.imagenet_data(
        global_batch,
        base.AugmentationConfig(
            flip=True, color_jitter_strength=1.0, blur_prob=0.5
        ),
        base.ViewsConfig(global_size=224, global_scale=[0.08, 1.0]),
    )
    task = SimCLRTaskConfig(
        temperature=0.1,
        model=base.ModelConfig(
            # The SimCLR release starts each residual block's last BN at γ = 0.
            backbone=base.BackboneConfig(
                type="resnet50", stem="imagenet", sync_bn=True, zero_init_residual=True
            ),
            projection_head=base.ProjectionHeadConfig(num_layers=2, hidden_dim=2048, output_dim=128),
        ),
        train_data=train_data,
        eval_data=eval_data,
        optimizer=base.OptimizerConfig(type="lars", weight_decay=1e-6),
        learning_rate=base.LearningRateConfig(
            base_learning_rate=0.3, scaling="linear", warmup_steps=10 * steps_per_epoch
        ),
    )
    return base.ExperimentConfig(
        task=task,
        trainer=base.TrainerConfig(
            train_steps=100 * steps_per_epoch, checkpoint_interval=5000, log_interval=100
        ),
        runtime=base.RuntimeConfig(distribution_strategy="tpu"),
    )
