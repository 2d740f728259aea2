"""`python -m tfssl.results` on one tiny RotNet run: its JSON record, its row in the markdown
table beside records already present (which it does not rerun), the same table in a README's
results block, and the bar chart."""

import json

import pytest

from tests.test_cli import _run_python
from tfssl import results

TINY = (
    "task.model.backbone.type=tiny,task.train_data.global_batch_size=16,"
    "task.learning_rate.warmup_steps=0,trainer.train_steps=2,trainer.log_interval=1,"
    "trainer.checkpoint_interval=2,task.evaluation.c_grid=[1.0],task.evaluation.max_iter=50"
)
MACHINE = {"node": "n", "processor": "p", "cpu_count": 2, "gpus": 0, "tensorflow": "2.21.0"}


def _semi_record(method, top1):
    """A finished semi-supervised record, as an earlier run would have left it."""
    return {
        "method": method,
        "experiment": f"{method}_embedded",
        "kind": "semi-supervised",
        "figures": {"classifier": top1},
        "train_steps": 1000,
        "params_override": "",
        "wall_seconds": 60.0,
        "date": "2025-01-02T03:04:05",
        "machine": MACHINE,
    }


def test_one_method_writes_its_record_row_and_chart(tmp_path):
    results_dir = tmp_path / "results"
    results_dir.mkdir()
    for method, top1 in (("supervised", 0.6), ("fixmatch", 0.65)):
        (results_dir / f"{method}.json").write_text(json.dumps(_semi_record(method, top1)))
    table, chart = tmp_path / "results.md", tmp_path / "results.png"
    readme = tmp_path / "README.md"
    start, end = results.README_MARKERS
    readme.write_text(f"# A project\n\n{start}\nan old table\n{end}\n\n## Next section\n")
    result = _run_python(
        "-m",
        "tfssl.results",
        "--methods=rotnet",
        f"--params_override={TINY}",
        f"--results_dir={results_dir}",
        f"--table={table}",
        f"--chart={chart}",
        f"--readme={readme}",
        f"--work_dir={tmp_path / 'work'}",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "[1/1] rotnet: elapsed 0m00s, about unknown left" in result.stdout

    record = json.loads((results_dir / "rotnet.json").read_text())
    assert record["kind"] == "self-supervised" and record["experiment"] == "rotnet_embedded"
    assert record["train_steps"] == 2 and record["params_override"] == TINY
    for figures in (record["figures"], record["random_init"]):
        assert set(figures) == {"linear", "knn", "nmi"}
        assert all(0.0 <= value <= 1.0 for value in figures.values())
    assert record["wall_seconds"] > 0 and record["date"][:2] == "20"
    assert set(record["machine"]) == set(MACHINE) and record["machine"]["cpu_count"] >= 1

    rows = {line.split(" | ")[0]: line for line in table.read_text().splitlines()}
    points = {key: f"{100 * value:.1f}" for key, value in record["figures"].items()}
    base = " / ".join(f"{100 * record['random_init'][key]:.1f}" for key in ("linear", "knn", "nmi"))
    cells = rows["| rotnet"].split(" | ")
    assert cells[1:3] == ["self-supervised", "2"] and cells[7] == "—"
    assert [cell.strip("*") for cell in cells[4:7]] == [points[k] for k in ("linear", "knn", "nmi")]
    assert cells[8] == f"random init: {base}"
    assert rows["| supervised"] == (
        "| supervised | semi-supervised | 1000 | 1m00s | — | — | — | 60.0 | — | — |"
    )
    assert rows["| fixmatch"] == (
        "| fixmatch | semi-supervised | 1000 | 1m00s | — | — | — | **65.0** | supervised: 60.0 "
        "| +5.0 |"
    )
    readme_text = readme.read_text()
    assert readme_text.startswith(f"# A project\n\n{start}\n| method | kind | steps | time |")
    assert readme_text.endswith(f"{end}\n\n## Next section\n")
    assert "an old table" not in readme_text and rows["| fixmatch"] in readme_text
    assert (
        "beats the same figure of the method's baseline by at least 3 points" in table.read_text()
    )
    assert f"- rotnet: `{TINY}`" in table.read_text()
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_readme_without_the_markers_is_named_in_the_error():
    with pytest.raises(ValueError, match="docs/x.md needs the lines"):
        results.replace_results_block("# no table here\n", "| a |\n", "docs/x.md")


def test_semi_supervised_methods_are_read_from_the_registry_baseline_first():
    methods = results.semi_supervised_methods()
    assert methods[0] == results.SEMI_BASELINE and methods[1:] == sorted(methods[1:])
    assert {"entmin", "fixmatch", "mixmatch", "s4l", "simclrv2"} <= set(methods)
    assert not {"simclr", "rotnet"} & set(methods)  # self-supervised
