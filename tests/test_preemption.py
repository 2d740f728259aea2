"""SIGTERM (preemption) saves a checkpoint at the step the run reached, between interval
checkpoints, and the restarted run's first step is the next one."""

import os
import re
import signal
import subprocess
import sys

from tests.test_cli import ROOT, TINY, _run

INTERVAL = 1000


def _train_until_sigterm(model_dir, signal_after_step):
    """Starts a long tiny run, sends SIGTERM once it has logged `signal_after_step`; returns the
    exit status and the whole log."""
    process = subprocess.Popen(
        [
            sys.executable,
            os.path.join(ROOT, "train.py"),
            "--experiment=simclr_embedded",
            f"--model_dir={model_dir}",
            f"--params_override={TINY},trainer.train_steps=100000,"
            f"trainer.checkpoint_interval={INTERVAL}",
            "--mode=train",
        ],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"),
        cwd=ROOT,
    )
    log = []
    for line in process.stderr:
        log.append(line)
        if f"step {signal_after_step}/100000" in line:
            process.send_signal(signal.SIGTERM)
    return process.wait(timeout=300), "".join(log)


def test_sigterm_saves_the_step_reached_and_the_restart_continues_there(tmp_path):
    model_dir = tmp_path / "run"
    code, log = _train_until_sigterm(str(model_dir), signal_after_step=3)
    assert code == 42, log[-3000:]
    saved = re.search(r"preempted: checkpoint saved at step (\d+)", log)
    assert saved, log[-3000:]
    step = int(saved.group(1))
    assert 3 <= step < INTERVAL  # not an interval checkpoint
    assert (model_dir / f"ckpt-{step}.index").exists()
    assert "Traceback" not in log

    result = _run(
        "train.py",
        "--experiment=simclr_embedded",
        f"--model_dir={model_dir}",
        f"--params_override={TINY},trainer.train_steps={step + 2}",
        "--mode=train",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"from step {step} to {step + 2}" in result.stderr
    logged = [int(s) for s in re.findall(r"step (\d+)/\d+ \w+=", result.stderr)]
    assert logged == [step + 1, step + 2]
