"""SwAV experiments: a quick multi-crop run on the embedded dataset and the paper's ImageNet
setting."""

from dataclasses import dataclass

from tfssl.configs import base, common
from tfssl.configs.registry import register_experiment, register_task


@register_task("swav")
@dataclass
class SwAVTaskConfig(base.TaskConfig):
    """SwAV's own knobs; the number of high-res crops is `train_data.views.num_global`."""

    method: str = "swav"
    num_prototypes: int = 3000
    temperature: float = 0.1
    epsilon: float = 0.05
    sinkhorn_iterations: int = 3
    freeze_prototypes_steps: int = 0
    queue_length: int = 0
    queue_start_step: int = 0
    hard_assignment: bool = False

    def validate(self, path="task"):
        super().validate(path)
        if self.num_prototypes < 1 or self.sinkhorn_iterations < 1:
            raise base.ConfigError(f"{path}: need num_prototypes >= 1 and sinkhorn_iterations >= 1")
        if self.temperature <= 0 or self.epsilon <= 0:
            raise base.ConfigError(f"{path}: temperature and epsilon must be positive")
        if self.queue_length < 0 or self.queue_start_step < 0 or self.freeze_prototypes_steps < 0:
            raise base.ConfigError(f"{path}: queue_length and the step counts must be >= 0")


@register_experiment("swav_embedded")
def swav_embedded():
    """Width-0.25 CIFAR ResNet-18 on standardised input, 2×32 + 4×16 crops with flips and blur,
    50 prototypes, ε = 0.03 and a queue of 4 batches switched on at step 100, on the 32×32
    embedded digits, for 300 steps.

    The renders carry pixel noise of fixed σ over digits of varying contrast, so the
    noise-to-contrast ratio survives every crop and colour jitter; without blur SwAV clustered
    on it (a ridge regression recovered it from the features at R² 0.85-0.89). Blur on half the
    views, σ 3.5-14 px at the 224 px reference (0.5-2 px on a 32 px crop), breaks it. ε = 0.03
    (the SwAV authors' remedy for a loss stuck at ln K) sharpens the codes: with ε 0.05 and a
    milder blur the probe ended at 39.8%, under the random encoder's 41.2%."""
    task = SwAVTaskConfig(
        num_prototypes=50,
        epsilon=0.03,
        freeze_prototypes_steps=20,
        queue_length=512,
        queue_start_step=100,
        model=common.embedded_model(
            hidden_dim=512, output_dim=64, num_layers=2, standardize_input=True
        ),
        **common.blurred_embedded_data(common.embedded_multi_crop()),
        **common.embedded_adamw(),
    )
    return common.embedded_experiment(
        task, train_steps=300, checkpoint_interval=150, log_interval=25
    )


@register_experiment("swav_imagenet")
def swav_imagenet():
    """SwAV's batch-4096 setting (no queue): ResNet-50, 2×224 + 6×96 crops, 3000 prototypes,
    LARS lr 0.3·B/256 = 4.8 after a 10-epoch warm-up (main_swav.py's default), cosine-decayed
    to 0.0048, wd 1e-6, prototypes frozen for 313 steps (one epoch), 400 epochs. For batch 256,
    set queue_length=3840 and queue_start_step to 15 epochs."""
    global_batch = 4096
    views = base.ViewsConfig(
        num_global=2,
        global_size=224,
        global_scale=[0.14, 1.0],
        num_local=6,
        local_size=96,
        local_scale=[0.05, 0.14],
    )
    task = SwAVTaskConfig(
        num_prototypes=3000,
        freeze_prototypes_steps=313,
        model=common.resnet50_model(
            hidden_dim=2048, output_dim=128, num_layers=2, zero_init_residual=False
        ),
        **common.imagenet_data(
            global_batch,
            base.AugmentationConfig(flip=True, color_jitter_strength=0.8, blur_prob=0.5),
            views,
        ),
        **common.imagenet_lars(global_batch, base_learning_rate=0.3, weight_decay=1e-6, alpha=1e-3),
    )
    return common.imagenet_experiment(task, epochs=400)
