"""Building blocks shared by the experiment configs: the embedded and ImageNet data, backbones
and projectors, and the trainer settings of quick and paper-scale runs."""

from tfssl.configs import base

IMAGENET_TRAIN_EXAMPLES = 1281167


def embedded_data(global_batch_size=128, views=None):
    """Train/eval data of the embedded runs: 32×32 digits, no flips (digits are not symmetric),
    colour jitter at strength 0.5; `views` defaults to two 32×32 crops of scale [0.2, 1]."""
    train = base.DataConfig(
        source="embedded",
        split="train",
        global_batch_size=global_batch_size,
        augmentation=base.AugmentationConfig(flip=False, color_jitter_strength=0.5),
        views=views or base.ViewsConfig(global_size=32, global_scale=[0.2, 1.0]),
    )
    return train, base.DataConfig(source="embedded", split="test", cache=False, shuffle_buffer=0)


def embedded_multi_crop():
    """Multi-crop of the embedded runs (SwAV, DINO): 2 crops of 32×32 at scale [0.3, 1] and 4 of
    16×16 at scale [0.1, 0.3]."""
    return base.ViewsConfig(
        num_global=2, global_size=32, global_scale=[0.3, 1.0],
        num_local=4, local_size=16, local_scale=[0.1, 0.3],
    )


def imagenet_data(global_batch_size, augmentation, views=None):
    """Train/eval data of the ImageNet settings; `views` defaults to two 224×224 crops of scale
    [0.08, 1]."""
    train = base.DataConfig(
        source="tfds",
        tfds_name="imagenet2012",
        split="train",
        global_batch_size=global_batch_size,
        image_size=224,
        augmentation=augmentation,
        views=views or base.ViewsConfig(global_size=224, global_scale=[0.08, 1.0]),
    )
    evaluation = base.DataConfig(
        source="tfds", tfds_name="imagenet2012", split="validation", image_size=224,
        cache=False, shuffle_buffer=0,
    )
    return train, evaluation


def resnet50_model(hidden_dim, output_dim, num_layers):
    """ImageNet ResNet-50 with sync BN and a projector of `num_layers` Dense layers.

    Each residual block's last BN starts at γ = 0, as in the BYOL, SimSiam and Barlow Twins
    releases (the methods that use this helper).
    """
    return base.ModelConfig(
        backbone=base.BackboneConfig(
            type="resnet50", stem="imagenet", sync_bn=True, zero_init_residual=True
        ),
        projection_head=base.ProjectionHeadConfig(
            num_layers=num_layers, hidden_dim=hidden_dim, output_dim=output_dim
        ),
    )


def embedded_backbone():
    """The backbone of the embedded runs: a width-0.25 CIFAR ResNet-18 (128-d features)."""
    return base.BackboneConfig(type="resnet18", stem="cifar", width_multiplier=0.25)


def embedded_model(hidden_dim, output_dim, num_layers):
    """`embedded_backbone` with a small projector."""
    return base.ModelConfig(
        backbone=embedded_backbone(),
        projection_head=base.ProjectionHeadConfig(
            num_layers=num_layers, hidden_dim=hidden_dim, output_dim=output_dim
        ),
    )


def embedded_bootstrap_setup():
    """Data, model and optimiser shared by BYOL's and SimSiam's embedded runs: per-image
    standardised input and horizontal flips, a 2-layer 512→128 projector, AdamW 2e-3 (weight
    decay 1e-4, 30 warm-up steps). Returns (train_data, eval_data, model, optimizer,
    learning_rate)."""
    train_data, eval_data = embedded_data()
    train_data.augmentation.flip = True
    model = embedded_model(hidden_dim=512, output_dim=128, num_layers=2)
    model.backbone.standardize_input = True
    optimizer = base.OptimizerConfig(type="adamw", weight_decay=1e-4)
    learning_rate = base.LearningRateConfig(
        base_learning_rate=2e-3, scaling="none", warmup_steps=30
    )
    return train_data, eval_data, model, optimizer, learning_rate


def embedded_experiment(task, train_steps, checkpoint_interval=100, log_interval=20):
    return base.ExperimentConfig(
        task=task,
        trainer=base.TrainerConfig(
            train_steps=train_steps, checkpoint_interval=checkpoint_interval, log_interval=log_interval
        ),
        runtime=base.RuntimeConfig(seed=0, inter_op_threads=1),
    )


def imagenet_experiment(task, epochs):
    steps = epochs * (IMAGENET_TRAIN_EXAMPLES // task.train_data.global_batch_size)
    return base.ExperimentConfig(
        task=task,
        trainer=base.TrainerConfig(train_steps=steps, checkpoint_interval=5000, log_interval=100),
        runtime=base.RuntimeConfig(distribution_strategy="tpu"),
    )


def steps_per_epoch(global_batch_size):
    return IMAGENET_TRAIN_EXAMPLES // global_batch_size
