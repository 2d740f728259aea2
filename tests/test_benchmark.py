import json

import pytest

from tests.test_cli import _run_python


def test_benchmark_prints_one_json_line_per_measurement():
    override = (
        "task.model.backbone.type=tiny,task.model.projection_head.hidden_dim=16,"
        "task.model.projection_head.output_dim=8,task.train_data.global_batch_size=16,"
        "task.learning_rate.warmup_steps=0"
    )
    result = _run_python(
        "-m",
        "tfssl.benchmark",
        "--experiment=simclr_embedded",
        f"--params_override={override}",
        "--steps=2",
        "--windows=2",
        "--warmup=1",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [line["what"] for line in lines] == ["step", "pipeline"]
    for line in lines:
        assert line["experiment"] == "simclr_embedded" and line["global_batch"] == 16
        assert line["images_per_sec"] > 0 and line["peak_rss_mb"] > 0
        assert line["views_per_sec"] == pytest.approx(2 * line["images_per_sec"], rel=1e-2)
