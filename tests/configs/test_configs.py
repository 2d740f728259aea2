import os

import pytest
import yaml

from tfssl import configs
from tfssl import registry_imports  # noqa: F401
from tfssl.configs import ConfigError

OFFICIAL_CONFIGS = os.path.join(os.path.dirname(__file__), "..", "..", "official_configs")


def test_contract_keys_exist_for_every_experiment():
    for name in configs.list_experiments():
        config = configs.get_experiment(name).validate()
        assert config.trainer.train_steps > 0
        assert config.task.train_data.global_batch_size > 0
        assert isinstance(config.runtime.seed, int)


def test_override_string_and_yaml_forms():
    config = configs.build_config(
        "simclr_embedded",
        params_override="trainer.train_steps=7,task.train_data.views.global_scale=[0.3, 1.0],"
        "task.optimizer.type=sgd",
    )
    assert config.trainer.train_steps == 7
    assert config.task.train_data.views.global_scale == [0.3, 1.0]
    assert config.task.optimizer.type == "sgd"
    config = configs.build_config(
        "simclr_embedded", params_override="task.optimizer.weight_decay=1e-6"
    )
    assert config.task.optimizer.weight_decay == pytest.approx(1e-6)  # YAML 1.1 gives a string.
    config = configs.build_config(
        "simclr_embedded", params_override="{trainer: {train_steps: 9}, runtime: {seed: 3}}"
    )
    assert (config.trainer.train_steps, config.runtime.seed) == (9, 3)


def test_files_then_override_in_order(tmp_path):
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text("trainer: {train_steps: 11, log_interval: 5}\n")
    second.write_text("trainer: {train_steps: 12}\n")
    config = configs.build_config(
        "simclr_embedded", [str(first), str(second)], "task.temperature=0.2"
    )
    assert (config.trainer.train_steps, config.trainer.log_interval) == (12, 5)
    assert config.task.temperature == 0.2
    config = configs.build_config("simclr_embedded", [str(first)], "trainer.train_steps=13")
    assert config.trainer.train_steps == 13


def test_unknown_key_names_the_nearest_valid_key():
    with pytest.raises(
        ConfigError,
        match=r"unknown config key 'task.train_data.global_batchsize'.*"
        r"did you mean 'task.train_data.global_batch_size'",
    ):
        configs.build_config(
            "simclr_embedded", params_override="task.train_data.global_batchsize=64"
        )
    with pytest.raises(ConfigError, match="did you mean 'trainer.train_steps'"):
        configs.build_config("simclr_embedded", params_override="trainer.train_step=5")


def test_bad_values_are_rejected():
    with pytest.raises(ConfigError, match="expects an integer"):
        configs.build_config("simclr_embedded", params_override="trainer.train_steps=abc")
    with pytest.raises(ConfigError, match="task.temperature expects a number, got 'warm'"):
        configs.build_config("simclr_embedded", params_override="task.temperature=warm")
    with pytest.raises(ConfigError, match="task.optimizer.type"):
        configs.build_config("simclr_embedded", params_override="task.optimizer.type=rmsprop")
    with pytest.raises(KeyError, match="did you mean 'simclr_embedded'"):
        configs.get_experiment("simclr_embeded")
    with pytest.raises(FileNotFoundError, match="missing.yaml"):
        configs.build_config("simclr_embedded", ["/nonexistent/missing.yaml"])


def _official_files():
    """(experiment name, path) of every official_configs/<method>/<setting>.yaml."""
    for root, _, files in os.walk(OFFICIAL_CONFIGS):
        for file in sorted(files):
            if file.endswith(".yaml"):
                yield f"{os.path.basename(root)}_{file[: -len('.yaml')]}", os.path.join(root, file)


def test_official_yaml_files_build_their_registered_experiments():
    """Each file, read over the defaults of its TaskConfig class, is the registered experiment;
    and it is the file `write_official` writes today."""
    names = []
    for name, path in _official_files():
        registered = configs.get_experiment(name).validate()
        with open(path) as f:
            saved = yaml.safe_load(f)
        assert configs.merge(configs.default_config(saved["task"]["method"]), saved) == registered
        assert configs.build_config(name, [path]) == registered, path
        defaults = configs.default_config(registered.task.method)
        assert saved == yaml.safe_load(configs.to_yaml(registered, defaults)), path
        names.append(name)
    assert sorted(names) == configs.list_experiments()


def test_official_yaml_holds_only_what_the_experiment_sets():
    with open(os.path.join(OFFICIAL_CONFIGS, "simclr", "embedded.yaml")) as f:
        saved = yaml.safe_load(f)
    assert saved["task"]["optimizer"] == {"type": "adamw", "weight_decay": 1e-4}
    assert saved["task"]["learning_rate"] == {
        "base_learning_rate": 0.002,
        "scaling": "none",
        "warmup_steps": 40,
    }
    assert "eval_data" not in saved["task"]  # the embedded test split is the default
    assert saved["trainer"] == {"train_steps": 400, "checkpoint_interval": 100, "log_interval": 20}
    assert saved["runtime"] == {"inter_op_threads": 1}
    with open(os.path.join(OFFICIAL_CONFIGS, "dino", "imagenet.yaml")) as f:
        saved = yaml.safe_load(f)
    assert set(saved["task"]["optimizer"]) == {"type", "weight_decay", "exclude_from_weight_decay"}
    assert saved["task"]["eval_data"] == {
        "source": "tfds",
        "tfds_name": "imagenet2012",
        "split": "validation",
        "image_size": 224,
    }


def test_eval_data_has_no_training_fields():
    with pytest.raises(ConfigError, match="unknown config key 'task.eval_data.shuffle_buffer'"):
        configs.build_config("simclr_embedded", params_override="task.eval_data.shuffle_buffer=0")
    config = configs.build_config("simclr_embedded", params_override="task.eval_data.split=train")
    assert (config.task.eval_data.split, config.task.train_data.split) == ("train", "train")


def test_choices_are_validated_against_the_registries():
    with pytest.raises(ConfigError) as err:
        configs.build_config("simclr_embedded", params_override="task.model.backbone.type=foo")
    assert str(err.value) == (
        "task.model.backbone.type='foo' is not one of "
        "['resnet18', 'resnet34', 'resnet50', 'tiny', 'vit_small', 'vit_tiny', 'wrn28_2']"
    )
    with pytest.raises(
        ConfigError,
        match=r"task.eval_data.source='hdf5' is not one of \['embedded', "
        r"'folder', 'tfds', 'tfrecord'\]",
    ):
        configs.build_config("simclr_embedded", params_override="task.eval_data.source=hdf5")


def test_simclr_imagenet_is_the_paper_setting():
    config = configs.get_experiment("simclr_imagenet").validate()
    task = config.task
    assert task.model.backbone.type == "resnet50" and task.model.backbone.stem == "imagenet"
    assert task.train_data.global_batch_size == 4096
    assert task.optimizer.type == "lars"
    assert task.learning_rate.base_learning_rate == 0.3 and task.learning_rate.scaling == "linear"
    assert task.temperature == 0.1
    assert config.trainer.train_steps == 100 * (1281167 // 4096)


@pytest.mark.parametrize(
    "method, zero_init",
    [
        ("simclr", True),
        ("byol", True),
        ("simsiam", True),
        ("barlow_twins", True),
        ("mocov2", False),
        ("swav", False),
        ("dino", False),
    ],
)
def test_imagenet_residual_init_follows_each_release(method, zero_init):
    # SimCLR's TF ResNet, BYOL's Haiku bottleneck blocks and the SimSiam / Barlow Twins
    # torchvision builders start each block's last BN at zero; MoCo, SwAV and DINO do not.
    backbone = configs.get_experiment(f"{method}_imagenet").task.model.backbone
    assert backbone.zero_init_residual is zero_init


def test_params_yaml_round_trip(tmp_path):
    """params.yaml holds every field but the optimizer sub-configs its type does not choose."""
    config = configs.build_config("simclr_embedded", params_override="trainer.train_steps=3")
    configs.write_yaml(config, str(tmp_path / "params.yaml"))
    with open(tmp_path / "params.yaml") as f:
        saved = yaml.safe_load(f)
    assert list(saved["task"]["optimizer"]) == [
        "type",
        "weight_decay",
        "exclude_from_weight_decay",
        "adamw",
    ]
    assert saved["trainer"]["max_to_keep"] == 3  # defaults are kept
    restored = configs.load_model_dir_config(str(tmp_path), params_override="runtime.seed=4")
    assert restored.runtime.seed == 4
    restored.runtime.seed = 0
    assert restored == config


def test_params_yaml_of_an_unknown_method_is_an_error(tmp_path):
    (tmp_path / "params.yaml").write_text("task: {method: simclrr}\n")
    with pytest.raises(KeyError, match="names method 'simclrr'; known: barlow_twins, byol"):
        configs.load_model_dir_config(str(tmp_path))


def test_params_yaml_of_an_earlier_version_loads_without_its_retired_keys(tmp_path):
    """A model_dir trained before the platform rework keeps working: its removed settings are
    dropped; a user's config file that sets one is still an error."""
    config = configs.build_config("simclr_embedded")
    configs.write_yaml(config, str(tmp_path / "params.yaml"))
    with open(tmp_path / "params.yaml") as f:
        saved = yaml.safe_load(f)
    saved["runtime"]["conv_gradients"] = "auto"
    saved["task"]["eval_data"]["views"] = {"num_global": 2}
    with open(tmp_path / "params.yaml", "w") as f:
        yaml.safe_dump(saved, f)
    assert configs.load_model_dir_config(str(tmp_path)) == config
    with pytest.raises(ConfigError, match="unknown config key 'runtime.conv_gradients'"):
        configs.build_config("simclr_embedded", params_override="runtime.conv_gradients=auto")
