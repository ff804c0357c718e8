"""How long the repository scan takes on a 10,000-file repository (goal: under 10 s).

The repository is generated: 8,000 Python modules of 40-200 lines (one in 50 trains a model
and logs to MLflow, one in 200 registers one), 1,200 test files, 500 YAML files (some of them
Kubernetes manifests), 200 JSON files, three CI definitions, Dockerfiles and Terraform, and
binary-ish data files that are counted but not opened. The peer, in the same run, is
``grep -rlE`` over the same tree with the same library words (text search only: it finds
files, not what they mean). Medians of three, cold-ish (the OS page cache is warm after the
first pass for both).
"""

from __future__ import annotations

import random
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

REPEATS = 3
N_PY, N_TESTS, N_YAML, N_JSON, N_DATA = 8000, 1200, 500, 200, 100

MODULE = "import os\n\n\ndef f{i}(x):\n    return x + {i}\n" + "# filler line\n" * 30
TRAINER = (
    "import mlflow\nfrom sklearn.linear_model import LogisticRegression\n\n\n"
    "def train(X, y):\n    with mlflow.start_run():\n"
    "        model = LogisticRegression().fit(X, y)\n"
    "        mlflow.log_metric('acc', model.score(X, y))\n"
)
REGISTER = "import mlflow\n\n\ndef register(uri):\n    mlflow.register_model(uri, 'm')\n"
TEST = "def test_a():\n    assert True\n\n\ndef test_b():\n    assert True\n"
K8S = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n"
WORKFLOW = (
    "on:\n  push: {}\n  schedule:\n    - cron: '0 3 * * 1'\njobs:\n  t:\n    runs-on: x\n"
    "    steps:\n      - run: python -m pytest\n      - run: python src/train.py\n"
)


def build(root: Path) -> int:
    rnd = random.Random(0)
    n = 0
    for i in range(N_PY):
        folder = root / "src" / f"pkg{i % 80}"
        folder.mkdir(parents=True, exist_ok=True)
        text = MODULE.format(i=i) * rnd.randint(1, 5)
        if i % 50 == 0:
            text += TRAINER
        if i % 200 == 0:
            text += REGISTER
        (folder / f"mod{i}.py").write_text(text)
        n += 1
    for i in range(N_TESTS):
        folder = root / "tests" / f"t{i % 40}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"test_{i}.py").write_text(TEST)
        n += 1
    for i in range(N_YAML):
        folder = root / "config" / f"c{i % 10}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"c{i}.yaml").write_text(K8S if i % 25 == 0 else f"key: {i}\nlist: [1, 2, 3]\n")
        n += 1
    for i in range(N_JSON):
        (root / "config" / f"d{i}.json").write_text('{"a": 1}')
        n += 1
    for i in range(N_DATA):
        (root / "data").mkdir(exist_ok=True)
        (root / "data" / f"x{i}.parquet").write_bytes(bytes(range(256)) * 40)
        n += 1
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / ".github" / "workflows" / "ml.yml").write_text(WORKFLOW)
    (root / ".gitlab-ci.yml").write_text("test:\n  script:\n    - pytest\n")
    (root / "Jenkinsfile").write_text("pipeline { triggers { cron('H 3 * * 1') } }\n")
    (root / "Dockerfile").write_text("FROM python:3.11\n")
    (root / "main.tf").write_text('resource "aws_s3_bucket" "b" {}\n')
    return n + 5


def _median(fn) -> float:  # noqa: ANN001
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run() -> list[dict]:
    from mlops_desktop.app.repo_scan import scan_repository

    folder = Path(tempfile.mkdtemp(prefix="bench-repo-"))
    try:
        files = build(folder)
        scan = scan_repository(folder, time_limit_s=60.0)
        ours = _median(lambda: scan_repository(folder, time_limit_s=60.0))
        words = "mlflow|great_expectations|pandera|evidently|kfp|airflow|sagemaker|\\.fit\\("
        grep = shutil.which("grep")
        peer = (
            _median(
                lambda: subprocess.run(
                    [grep, "-rlE", words, str(folder)], capture_output=True, check=False
                )
            )
            if grep
            else float("nan")
        )
        return [
            {
                "benchmark": "repo_scan",
                "metric": f"scan of {files} files",
                "value": ours,
                "unit": "s",
                "note": f"{len(scan.findings)} findings; goal < 10 s; truncated={scan.truncated}",
            },
            {
                "benchmark": "repo_scan",
                "metric": "peer: grep -rlE (same words, same tree)",
                "value": peer,
                "unit": "s",
                "note": "text search only (no CI, YAML or test parsing)",
            },
        ]
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    for row in run():
        print(row)
