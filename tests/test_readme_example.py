"""Runs the README's "Using a method from your own code" block, shrunk to a few steps."""

import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHRINK = {
    "per_replica_batch_size=128": "per_replica_batch_size=16",
    "steps_per_epoch=100, epochs=2": "steps_per_epoch=2, epochs=2",
    "from_numpy(images, labels), 32, 512": "from_numpy(images[:400], labels[:400]), 32, 512",
    "from_numpy(test_images, test_labels), 32, 512": "from_numpy(test_images[:200], test_labels[:200]), 32, 512",
}
CHECK = """
import json, keras
reloaded = keras.models.load_model("simclr.keras")
print(json.dumps({
    "knn_top1": history.history["knn_top1"],
    "features_shape": list(features.shape),
    "reload_max_diff": float(abs(reloaded.encoder.predict(test_images[:4] / 255.0) - features).max()),
}))
"""


def readme_example():
    with open(os.path.join(ROOT, "README.md")) as f:
        readme = f.read()
    section = readme[readme.index("## Using a method from your own code") :]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_readme_example_trains_probes_and_saves(tmp_path):
    code = readme_example()
    for old, new in SHRINK.items():
        assert old in code, f"README example no longer contains {old!r}"
        code = code.replace(old, new)
    script = tmp_path / "example.py"
    script.write_text(code + CHECK)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=ROOT)
    result = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert len(report["knn_top1"]) == 2 and all(0.0 <= v <= 1.0 for v in report["knn_top1"])
    assert report["features_shape"] == [4, 128]
    assert report["reload_max_diff"] < 1e-5
