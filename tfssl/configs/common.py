"""Building blocks shared by the experiment configs: the embedded and ImageNet data, backbones
and projectors, the optimisation recipes, and the trainer settings of quick and paper-scale runs.

The data and optimisation helpers return `TaskConfig` fields as a dict, passed on with `**`:
`SimCLRTaskConfig(model=..., **embedded_data(), **embedded_adamw(warmup_steps=40))`.
"""

from tfssl.configs import base

# The ImageNet settings give their lengths in epochs, as the papers do; a step count is
# epochs × (this // global batch size).
IMAGENET_TRAIN_EXAMPLES = 1281167


def steps_per_epoch(global_batch_size):
    """Optimizer steps per pass over ImageNet's training split at `global_batch_size`."""
    return IMAGENET_TRAIN_EXAMPLES // global_batch_size


def embedded_data(global_batch_size=128, augmentation=None, views=None):
    """`train_data` and `eval_data` of the embedded runs: 32×32 digits, test split for eval.

    `augmentation` defaults to no flips (digits are not symmetric) and colour jitter at strength
    0.5; `views` to two 32×32 crops of scale [0.2, 1].
    """
    train = base.DataConfig(
        source="embedded",
        split="train",
        global_batch_size=global_batch_size,
        augmentation=augmentation or base.AugmentationConfig(flip=False, color_jitter_strength=0.5),
        views=views or base.ViewsConfig(global_size=32, global_scale=[0.2, 1.0]),
    )
    return {"train_data": train, "eval_data": base.EvalDataConfig(source="embedded", split="test")}


def embedded_multi_crop(num_local=4):
    """Multi-crop of the embedded runs (SwAV, DINO): 2 crops of 32×32 at scale [0.3, 1] and
    `num_local` of 16×16 at scale [0.1, 0.3]."""
    return base.ViewsConfig(
        num_global=2,
        global_size=32,
        global_scale=[0.3, 1.0],
        num_local=num_local,
        local_size=16,
        local_scale=[0.1, 0.3],
    )


def blurred_embedded_data(views):
    """Embedded data with flips and blur on half the views, σ 3.5-14 px at the 224 px reference
    (0.5-2 px on a 32 px crop): the renders carry pixel noise of fixed σ over digits of varying
    contrast, and without blur SwAV and DINO clustered on that noise-to-contrast ratio."""
    augmentation = base.AugmentationConfig(
        flip=True, color_jitter_strength=0.5, blur_prob=0.5, blur_sigma=[3.5, 14.0]
    )
    return embedded_data(augmentation=augmentation, views=views)


def imagenet_data(global_batch_size, augmentation, views=None):
    """`train_data` and `eval_data` of the ImageNet settings (TFDS imagenet2012, validation split
    for eval); `views` defaults to two 224×224 crops of scale [0.08, 1]."""
    train = base.DataConfig(
        source="tfds",
        tfds_name="imagenet2012",
        split="train",
        global_batch_size=global_batch_size,
        image_size=224,
        augmentation=augmentation,
        views=views or base.ViewsConfig(global_size=224, global_scale=[0.08, 1.0]),
    )
    evaluation = base.EvalDataConfig(
        source="tfds", tfds_name="imagenet2012", split="validation", image_size=224
    )
    return {"train_data": train, "eval_data": evaluation}


def resnet50_model(hidden_dim, output_dim, num_layers, zero_init_residual=True):
    """ImageNet ResNet-50 with sync BN and a projector of `num_layers` Dense layers.

    Each residual block's last BN starts at γ = 0 by default, as in the SimCLR, BYOL, SimSiam
    and Barlow Twins releases; SwAV's does not.
    """
    return base.ModelConfig(
        backbone=base.BackboneConfig(
            type="resnet50", stem="imagenet", sync_bn=True, zero_init_residual=zero_init_residual
        ),
        projection_head=base.ProjectionHeadConfig(
            num_layers=num_layers, hidden_dim=hidden_dim, output_dim=output_dim
        ),
    )


def embedded_backbone(standardize_input=False):
    """The backbone of the embedded runs: a width-0.25 CIFAR ResNet-18 (128-d features);
    `standardize_input` standardises each image first."""
    return base.BackboneConfig(
        type="resnet18", stem="cifar", width_multiplier=0.25, standardize_input=standardize_input
    )


def embedded_model(hidden_dim, output_dim, num_layers, standardize_input=False):
    """`embedded_backbone` with a small projector."""
    return base.ModelConfig(
        backbone=embedded_backbone(standardize_input),
        projection_head=base.ProjectionHeadConfig(
            num_layers=num_layers, hidden_dim=hidden_dim, output_dim=output_dim
        ),
    )


def embedded_adamw(base_learning_rate=2e-3, warmup_steps=30, **optimizer_options):
    """`optimizer` and `learning_rate` of the embedded runs: AdamW with weight decay 1e-4 (and
    `optimizer_options`), `base_learning_rate` unscaled by batch size after `warmup_steps` of
    linear warm-up, then cosine decay."""
    return {
        "optimizer": base.OptimizerConfig(type="adamw", weight_decay=1e-4, **optimizer_options),
        "learning_rate": base.LearningRateConfig(
            base_learning_rate=base_learning_rate, scaling="none", warmup_steps=warmup_steps
        ),
    }


def imagenet_lars(global_batch_size, base_learning_rate, weight_decay, **learning_rate_options):
    """`optimizer` and `learning_rate` of the LARS ImageNet settings: the peak rate
    base·B/256 after 10 epochs of linear warm-up, then cosine decay."""
    return {
        "optimizer": base.OptimizerConfig(type="lars", weight_decay=weight_decay),
        "learning_rate": base.LearningRateConfig(
            base_learning_rate=base_learning_rate,
            scaling="linear",
            warmup_steps=10 * steps_per_epoch(global_batch_size),
            **learning_rate_options,
        ),
    }


def sgd(base_learning_rate, weight_decay, scaling="none", **learning_rate_options):
    """`optimizer` and `learning_rate` of the SGD settings: momentum 0.9 with coupled weight
    decay (BN parameters and biases excluded), no warm-up, cosine decay unless
    `learning_rate_options` say otherwise."""
    return {
        "optimizer": base.OptimizerConfig(type="sgd", weight_decay=weight_decay),
        "learning_rate": base.LearningRateConfig(
            base_learning_rate=base_learning_rate, scaling=scaling, **learning_rate_options
        ),
    }


def embedded_bootstrap_setup():
    """Data, model and optimiser shared by BYOL's and SimSiam's embedded runs: per-image
    standardised input, `blurred_embedded_data`'s flips and blur, a 2-layer 512→128 projector,
    AdamW 2e-3 (weight decay 1e-4, 30 warm-up steps), as TaskConfig fields."""
    data = blurred_embedded_data(views=None)
    model = embedded_model(hidden_dim=512, output_dim=128, num_layers=2, standardize_input=True)
    return {"model": model, **data, **embedded_adamw()}


def embedded_experiment(task, train_steps, checkpoint_interval=100, log_interval=20):
    """The experiment of an embedded run: seed 0, one inter-op thread (see RuntimeConfig)."""
    return base.ExperimentConfig(
        task=task,
        trainer=base.TrainerConfig(
            train_steps=train_steps,
            checkpoint_interval=checkpoint_interval,
            log_interval=log_interval,
        ),
        runtime=base.RuntimeConfig(seed=0, inter_op_threads=1),
    )


def imagenet_experiment(task, epochs, distribution_strategy="tpu"):
    """The experiment of an ImageNet setting: `epochs` passes at the task's batch size."""
    steps = epochs * steps_per_epoch(task.train_data.global_batch_size)
    return base.ExperimentConfig(
        task=task,
        trainer=base.TrainerConfig(train_steps=steps, checkpoint_interval=5000, log_interval=100),
        runtime=base.RuntimeConfig(distribution_strategy=distribution_strategy),
    )
