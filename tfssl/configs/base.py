"""Dataclass trees describing an experiment: what to train (`task`), how long (`trainer`), where
(`runtime`). Every experiment shares these; a method adds its own fields by subclassing
`TaskConfig`."""

import dataclasses
from dataclasses import dataclass, field
from typing import List

from tfssl.data.inputs import SOURCES
from tfssl.models.factory import BACKBONES
from tfssl.optim.factory import OPTIMIZERS


class ConfigError(ValueError):
    """An experiment configuration that cannot be used as written."""


# `tfssl.models.mlp`'s output_bn: the BN after a projector's last Dense, or none.
PROJECTOR_OUTPUT_BN = ("none", "affine", "center", "plain")


def _check_choice(path, value, choices):
    if value not in choices:
        raise ConfigError(f"{path}={value!r} is not one of {sorted(choices)}")


def _check_range(path, values):
    if len(values) != 2 or not 0 < values[0] <= values[1]:
        raise ConfigError(f"{path}={values!r} must be [low, high] with 0 < low <= high")


@dataclass
class AugmentationConfig:
    """The SimCLR augmentation recipe applied to every view (see `tfssl.data.AugmentParams`).

    `blur_probs` / `solarize_probs`, when not empty, replace `blur_prob` / `solarize_prob` per
    view for the asymmetric recipes of BYOL and DINO: one value per global crop, in order, then
    one for all local crops when there are any.
    """

    crop_ratio: List[float] = field(default_factory=lambda: [3 / 4, 4 / 3])
    flip: bool = True
    color_jitter_strength: float = 1.0
    color_jitter_prob: float = 0.8
    grayscale_prob: float = 0.2
    blur_prob: float = 0.0
    blur_sigma: List[float] = field(default_factory=lambda: [0.1, 2.0])
    solarize_prob: float = 0.0
    solarize_threshold: float = 0.5
    blur_probs: List[float] = field(default_factory=list)
    solarize_probs: List[float] = field(default_factory=list)

    def validate(self, path):
        _check_range(f"{path}.crop_ratio", self.crop_ratio)
        _check_range(f"{path}.blur_sigma", self.blur_sigma)
        for name in ("color_jitter_prob", "grayscale_prob", "blur_prob", "solarize_prob"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigError(f"{path}.{name} must be a probability in [0, 1]")
        for name in ("blur_probs", "solarize_probs"):
            if not all(0.0 <= p <= 1.0 for p in getattr(self, name)):
                raise ConfigError(f"{path}.{name} must hold probabilities in [0, 1]")


@dataclass
class ViewsConfig:
    """Multi-crop spec: `num_global` crops at `global_size`, `num_local` crops at `local_size`."""

    num_global: int = 2
    global_size: int = 32
    global_scale: List[float] = field(default_factory=lambda: [0.08, 1.0])
    num_local: int = 0
    local_size: int = 16
    local_scale: List[float] = field(default_factory=lambda: [0.05, 0.4])

    def validate(self, path):
        if self.num_global < 1 or self.num_local < 0:
            raise ConfigError(f"{path}: need num_global >= 1 and num_local >= 0")
        _check_range(f"{path}.global_scale", self.global_scale)
        _check_range(f"{path}.local_scale", self.local_scale)


@dataclass
class EvalDataConfig:
    """Where images come from and how many are read at once: all that the evaluation split needs.

    `source` picks the reader (`tfssl.data.inputs.SOURCES`): `embedded` (the built-in digits
    renders, `split` train/test), `tfds` (`tfds_name`, `split`, optional `path` as TFDS
    data_dir), `folder` (`path` holds one sub-folder per class) or `tfrecord` (`path` is a file
    pattern of tf.train.Example records, labels minus `label_offset`).
    """

    source: str = "embedded"
    tfds_name: str = ""
    split: str = "test"
    path: str = ""
    label_offset: int = 0
    global_batch_size: int = 256
    image_size: int = 32

    def validate(self, path):
        _check_choice(f"{path}.source", self.source, SOURCES.names())
        if self.source == "tfds" and not self.tfds_name:
            raise ConfigError(f"{path}.tfds_name is required when {path}.source='tfds'")
        if self.source in ("folder", "tfrecord") and not self.path:
            raise ConfigError(f"{path}.path is required when {path}.source={self.source!r}")
        if self.global_batch_size < 1 or self.image_size < 1:
            raise ConfigError(f"{path}: global_batch_size and image_size must be positive")


@dataclass
class DataConfig(EvalDataConfig):
    """The training stream: the source and batch of `EvalDataConfig`, then shuffling, caching,
    tf.data threading and the multi-view augmentation."""

    split: str = "train"
    shuffle_buffer: int = 10000
    cache: bool = True
    # Element order of the augmented stream: False (the default) lets parallel workers hand out
    # views as they finish, for speed; every image's views are fixed by the seed either way.
    deterministic: bool = False
    # Threads of a private tf.data pool for this pipeline; 0 shares TensorFlow's pool.
    threadpool_size: int = 0
    # Compile each view's post-crop ops (colour, blur, solarisation) with XLA: the same views,
    # 1.7x the multi-crop pipeline's images/s on CPU. False runs them as separate TensorFlow ops.
    jit_augment: bool = True
    # A tf.data service dispatcher, "grpc://host:port": the pipeline then runs on the service's
    # workers rather than on this host's CPUs (multi-crop ImageNet streams one host cannot feed).
    # Empty: it runs here.
    service_address: str = ""
    augmentation: AugmentationConfig = field(default_factory=AugmentationConfig)
    views: ViewsConfig = field(default_factory=ViewsConfig)

    def validate(self, path):
        super().validate(path)
        if self.threadpool_size < 0:
            raise ConfigError(f"{path}.threadpool_size must be >= 0")
        self.augmentation.validate(f"{path}.augmentation")
        self.views.validate(f"{path}.views")
        groups = self.views.num_global + (1 if self.views.num_local else 0)
        for name in ("blur_probs", "solarize_probs"):
            values = getattr(self.augmentation, name)
            if values and len(values) != groups:
                raise ConfigError(
                    f"{path}.augmentation.{name} needs {groups} values (one per global crop, then "
                    f"one for the local crops), got {len(values)}"
                )


@dataclass
class BackboneConfig:
    """The encoder f(·): a ResNet with a CIFAR (3×3, no max-pool) or ImageNet stem, or `tiny`."""

    type: str = "resnet18"
    stem: str = "cifar"
    width_multiplier: float = 1.0
    zero_init_residual: bool = False
    sync_bn: bool = False
    bn_momentum: float = 0.9
    # ViTs only: the patch size, and the input size their position embeddings are learned for.
    patch_size: int = 16
    image_size: int = 224
    # Feed the backbone the Sobel responses of the grey image (DeepCluster) instead of RGB.
    sobel: bool = False
    # Standardise each input image to zero mean, unit std first (removes grey level, contrast).
    standardize_input: bool = False

    def validate(self, path):
        _check_choice(f"{path}.type", self.type, BACKBONES.names())
        if self.type.startswith("vit") and self.image_size % self.patch_size:
            raise ConfigError(f"{path}.image_size must be a multiple of {path}.patch_size")
        _check_choice(f"{path}.stem", self.stem, ("cifar", "imagenet"))
        for option in ("sobel", "standardize_input"):
            if getattr(self, option) and self.type.startswith("vit"):
                raise ConfigError(
                    f"{path}.{option} is for convolutional backbones, not {self.type}"
                )
        if self.width_multiplier <= 0:
            raise ConfigError(f"{path}.width_multiplier must be positive")


@dataclass
class ProjectionHeadConfig:
    """The projection MLP g(·): SimCLR v1 uses 2 layers, v2 uses 3."""

    num_layers: int = 2
    hidden_dim: int = 2048
    output_dim: int = 128
    use_bn: bool = True

    def validate(self, path):
        if self.num_layers < 1 or self.hidden_dim < 1 or self.output_dim < 1:
            raise ConfigError(f"{path}: num_layers, hidden_dim and output_dim must be positive")


@dataclass
class ModelConfig:
    backbone: BackboneConfig = field(default_factory=BackboneConfig)
    projection_head: ProjectionHeadConfig = field(default_factory=ProjectionHeadConfig)

    def validate(self, path):
        self.backbone.validate(f"{path}.backbone")
        self.projection_head.validate(f"{path}.projection_head")


@dataclass
class LARSConfig:
    momentum: float = 0.9
    eta: float = 0.001
    nesterov: bool = False


@dataclass
class SGDConfig:
    momentum: float = 0.9
    nesterov: bool = False


@dataclass
class AdamConfig:
    beta_1: float = 0.9
    beta_2: float = 0.999


# Metadata of a one-of config's field holding the options of the choice of the same name: it
# applies, and is written to YAML, only while the config's `type` names it.
CHOICE = {"choice": True}


def unchosen_fields(config):
    """Names of the `CHOICE` fields of `config` that its `type` does not pick."""
    return [
        f.name
        for f in dataclasses.fields(config)
        if f.metadata.get("choice") and f.name != config.type
    ]


@dataclass
class OptimizerConfig:
    """One-of optimizer config: `type` picks the sub-config that applies (one per registered
    optimizer, `tfssl.optim.factory.OPTIMIZERS`)."""

    type: str = "lars"
    weight_decay: float = 1e-6
    exclude_from_weight_decay: List[str] = field(
        default_factory=lambda: [r"(^|/)bias$", r"(^|/)gamma$", r"(^|/)beta$"]
    )
    lars: LARSConfig = field(default_factory=LARSConfig, metadata=CHOICE)
    sgd: SGDConfig = field(default_factory=SGDConfig, metadata=CHOICE)
    adamw: AdamConfig = field(default_factory=AdamConfig, metadata=CHOICE)
    adam: AdamConfig = field(default_factory=AdamConfig, metadata=CHOICE)

    def validate(self, path):
        _check_choice(f"{path}.type", self.type, OPTIMIZERS.names())
        if self.weight_decay < 0:
            raise ConfigError(f"{path}.weight_decay must be >= 0")
        if self.type == "adam" and self.weight_decay:
            raise ConfigError(f"{path}: 'adam' takes no weight_decay; use type 'adamw'")


@dataclass
class LearningRateConfig:
    """Warm-up, then cosine decay to `alpha`·peak, a constant rate, step decay (×`decay_rate`
    at each of `decay_boundaries`, in steps) or "fixmatch_cosine", peak·cos(7πk/16K); the peak is `base_learning_rate` scaled by the
    global batch size as in SimCLR: linear → base·B/256, sqrt → base·√B, none → base."""

    type: str = "cosine"
    base_learning_rate: float = 0.3
    scaling: str = "linear"
    warmup_steps: int = 0
    alpha: float = 0.0
    decay_boundaries: List[int] = field(default_factory=list)
    decay_rate: float = 0.1

    def validate(self, path):
        _check_choice(f"{path}.type", self.type, ("cosine", "constant", "step", "fixmatch_cosine"))
        _check_choice(f"{path}.scaling", self.scaling, ("linear", "sqrt", "none"))
        if self.base_learning_rate <= 0 or self.warmup_steps < 0:
            raise ConfigError(f"{path}: need base_learning_rate > 0 and warmup_steps >= 0")
        if self.type == "step" and (
            not self.decay_boundaries
            or sorted(self.decay_boundaries) != list(self.decay_boundaries)
        ):
            raise ConfigError(f"{path}: a step schedule needs increasing decay_boundaries")


@dataclass
class EvaluationConfig:
    """The linear probe run after training: L2-regularised logistic regression on frozen
    features, its inverse regularisation `c` chosen on a held-out part of the train split."""

    c_grid: List[float] = field(default_factory=lambda: [0.01, 0.1, 1.0, 10.0])
    held_out_fraction: float = 0.2
    max_iter: int = 300

    def validate(self, path):
        if not self.c_grid or not 0.0 < self.held_out_fraction < 1.0:
            raise ConfigError(f"{path}: need a non-empty c_grid and 0 < held_out_fraction < 1")


@dataclass
class TaskConfig:
    """What to train: the method, its model, its data and its optimisation."""

    method: str = ""
    model: ModelConfig = field(default_factory=ModelConfig)
    train_data: DataConfig = field(default_factory=DataConfig)
    eval_data: EvalDataConfig = field(default_factory=EvalDataConfig)
    optimizer: OptimizerConfig = field(default_factory=OptimizerConfig)
    learning_rate: LearningRateConfig = field(default_factory=LearningRateConfig)
    evaluation: EvaluationConfig = field(default_factory=EvaluationConfig)

    def validate(self, path="task"):
        if not self.method:
            raise ConfigError(f"{path}.method is empty")
        self.model.validate(f"{path}.model")
        self.train_data.validate(f"{path}.train_data")
        self.eval_data.validate(f"{path}.eval_data")
        self.optimizer.validate(f"{path}.optimizer")
        self.learning_rate.validate(f"{path}.learning_rate")
        self.evaluation.validate(f"{path}.evaluation")


@dataclass
class TrainerConfig:
    """How long to train and how often to checkpoint and log."""

    train_steps: int = 1000
    steps_per_loop: int = 1
    checkpoint_interval: int = 500
    max_to_keep: int = 3
    log_interval: int = 50
    # Every N epochs (passes over the train split), a kNN probe of the encoder (train split as
    # the bank, eval split as queries) logs knn_top1; 0 turns it off.
    knn_eval_every: int = 0

    def validate(self, path="trainer"):
        for name in ("train_steps", "steps_per_loop", "checkpoint_interval", "log_interval"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{path}.{name} must be >= 1")
        if self.knn_eval_every < 0:
            raise ConfigError(f"{path}.knn_eval_every must be >= 0 (0 = off)")


# `runtime.distribution_strategy` choices (see `tfssl.training.build_strategy`).
STRATEGIES = ("one_device", "mirrored", "multi_worker_mirrored", "tpu")


@dataclass
class RuntimeConfig:
    """Where it runs: the tf.distribute strategy, precision and seed."""

    seed: int = 0
    distribution_strategy: str = "one_device"
    cpu_replicas: int = 1
    tpu: str = ""
    mixed_precision: str = "float32"
    jit_compile: bool = False
    # Ops TensorFlow may run side by side (0: its default, one per core). On a few CPU cores, 1
    # keeps two multi-threaded convolutions from competing for the same cores.
    inter_op_threads: int = 0

    def validate(self, path="runtime"):
        _check_choice(
            f"{path}.distribution_strategy",
            self.distribution_strategy,
            STRATEGIES,
        )
        _check_choice(
            f"{path}.mixed_precision",
            self.mixed_precision,
            ("float32", "mixed_bfloat16", "mixed_float16"),
        )
        if self.cpu_replicas < 1 or self.inter_op_threads < 0:
            raise ConfigError(f"{path}: need cpu_replicas >= 1 and inter_op_threads >= 0")


@dataclass
class ExperimentConfig:
    """A whole experiment; `validate()` checks it before anything is built."""

    task: TaskConfig = field(default_factory=TaskConfig)
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    runtime: RuntimeConfig = field(default_factory=RuntimeConfig)

    def validate(self):
        self.task.validate("task")
        self.trainer.validate("trainer")
        self.runtime.validate("runtime")
        return self

    def as_dict(self):
        return dataclasses.asdict(self)
