import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY = (
    "task.model.backbone.type=tiny,task.model.projection_head.hidden_dim=16,"
    "task.model.projection_head.output_dim=8,task.train_data.global_batch_size=16,"
    "task.learning_rate.warmup_steps=0,trainer.train_steps=2,trainer.log_interval=1,"
    "trainer.checkpoint_interval=1"
)


def _run_python(*args):
    """`python *args` in the repository root, TensorFlow's C++ logs quietened, 300 s at most;
    the finished process with its stdout and stderr as text."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=300
    )


def _run(script, *args):
    """`_run_python` on the repository's `script` (e.g. train.py)."""
    return _run_python(os.path.join(ROOT, script), *args)


def test_train_on_two_cpu_replicas_then_eval(tmp_path):
    model_dir = str(tmp_path / "run")
    result = _run(
        "train.py",
        "--experiment=simclr_embedded",
        f"--model_dir={model_dir}",
        f"--params_override={TINY}",
        "--mode=train",
        "--strategy=mirrored",
        "--cpu_replicas=2",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Training on 2 replicas: CPU:0, CPU:1 (strategy mirrored)" in result.stderr
    assert "step 2/2" in result.stderr and "images_per_sec" in result.stderr
    assert os.path.exists(os.path.join(model_dir, "params.yaml"))
    assert os.path.exists(os.path.join(model_dir, "ckpt-2.index"))

    result = _run("eval.py", f"--model_dir={model_dir}", "--protocol=linear")
    assert result.returncode == 0, result.stderr[-3000:]
    printed = json.loads(result.stdout.strip().splitlines()[-1])
    with open(os.path.join(model_dir, "eval_linear.json")) as f:
        assert json.load(f) == printed
    assert printed["protocol"] == "linear" and 0.0 <= printed["top1"] <= 1.0


def test_unknown_override_key_fails_with_suggestion(tmp_path):
    result = _run(
        "train.py",
        "--experiment=simclr_embedded",
        f"--model_dir={tmp_path}",
        "--params_override=trainer.train_stepz=3",
    )
    assert result.returncode != 0
    assert "did you mean 'trainer.train_steps'" in result.stderr
