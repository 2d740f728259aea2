"""Experiment configuration: dataclass trees, strict overrides and the experiment registry."""

from tfssl.configs.base import (
    AugmentationConfig,
    BackboneConfig,
    ConfigError,
    DataConfig,
    EvalDataConfig,
    EvaluationConfig,
    ExperimentConfig,
    LearningRateConfig,
    ModelConfig,
    OptimizerConfig,
    ProjectionHeadConfig,
    RuntimeConfig,
    TaskConfig,
    TrainerConfig,
    ViewsConfig,
)
from tfssl.configs.overrides import merge, parse_params_override, to_yaml, write_yaml
from tfssl.configs.registry import (
    build_config,
    default_config,
    get_experiment,
    list_experiments,
    load_model_dir_config,
    register_experiment,
    register_task,
)

__all__ = [
    "build_config",
    "default_config",
    "get_experiment",
    "list_experiments",
    "load_model_dir_config",
    "merge",
    "parse_params_override",
    "register_experiment",
    "register_task",
    "to_yaml",
    "write_yaml",
]
