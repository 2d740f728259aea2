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
    with pytest.raises(ConfigError, match=r"unknown config key 'task.train_data.global_batchsize'.*"
                       r"did you mean 'task.train_data.global_batch_size'"):
        configs.build_config("simclr_embedded", params_override="task.train_data.global_batchsize=64")
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


def test_official_yaml_files_match_the_registry():
    """Each official_configs/<method>/<name>.yaml is the full config of a registered experiment."""
    found = 0
    for root, _, files in os.walk(OFFICIAL_CONFIGS):
        for file in files:
            if not file.endswith(".yaml"):
                continue
            path = os.path.join(root, file)
            with open(path) as f:
                saved = yaml.safe_load(f)
            name = f"{os.path.basename(root)}_{file[:-len('.yaml')]}"
            assert saved == configs.get_experiment(name).as_dict(), path
            found += 1
    assert found >= len(configs.list_experiments())


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
    [("simclr", True), ("byol", True), ("simsiam", True), ("barlow_twins", True),
     ("mocov2", False), ("swav", False), ("dino", False)],
)
def test_imagenet_residual_init_follows_each_release(method, zero_init):
    # SimCLR's TF ResNet, BYOL's Haiku bottleneck blocks and the SimSiam / Barlow Twins
    # torchvision builders start each block's last BN at zero; MoCo, SwAV and DINO do not.
    backbone = configs.get_experiment(f"{method}_imagenet").task.model.backbone
    assert backbone.zero_init_residual is zero_init


def test_params_yaml_round_trip(tmp_path):
    config = configs.build_config("simclr_embedded", params_override="trainer.train_steps=3")
    configs.write_yaml(config, str(tmp_path / "params.yaml"))
    restored = configs.load_model_dir_config(str(tmp_path))
    assert restored == config
