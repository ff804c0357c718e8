"""Reading a team's repository as maturity evidence: three small repositories built here get
the levels and the evidence (file and line) a reviewer reading them would conclude; hostile
or empty repositories raise nothing and run nothing."""

from __future__ import annotations

import time
from pathlib import Path

from mlops_desktop.app.repo_scan import head_commit, repo_facts, scan_repository
from mlops_desktop.core.maturity import assess

CI_TESTS_AND_SCHEDULED_TRAINING = """\
name: ml
on:
  push:
    branches: [main]
  schedule:
    - cron: "0 3 * * 1"
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: pip install -r requirements.txt
      - run: python -m pytest -q
  train:
    needs: test
    runs-on: ubuntu-latest
    steps:
      - run: python src/train.py --data data/train.csv
"""
TRAIN = """\
import mlflow
from sklearn.linear_model import LogisticRegression


def main(X, y):
    with mlflow.start_run():
        model = LogisticRegression().fit(X, y)
        mlflow.log_metric("accuracy", model.score(X, y))
"""
TESTS = """\
from src.train import main


def test_main_fits():
    assert main is not None


def test_second():
    assert True


async def test_async_one():
    assert True
"""


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def kinds(scan) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in scan.findings:
        out.setdefault(f.kind, []).append(f.where)
    return out


def test_ci_that_tests_and_trains_on_a_schedule(tmp_path: Path) -> None:
    root = write(
        tmp_path / "team",
        {
            ".github/workflows/ml.yml": CI_TESTS_AND_SCHEDULED_TRAINING,
            "src/train.py": TRAIN,
            "tests/test_train.py": TESTS,
        },
    )
    scan = scan_repository(root)
    found = kinds(scan)
    assert found["ci.tests"] == [".github/workflows/ml.yml:13"]
    assert found["ci.train"] == [".github/workflows/ml.yml:18"]
    assert found["ci.schedule"] == [".github/workflows/ml.yml:5"]
    assert found["ci.on_push"][0].startswith(".github/workflows/ml.yml:")
    assert found["tests"] == ["tests/test_train.py:4"]
    assert next(f for f in scan.findings if f.kind == "tests").count == 3
    assert found["tracking"] == ["src/train.py:6"] and found["training"] == ["src/train.py:7"]
    a = assess(repo_facts(root))
    google, azure = a.models["google"], a.models["azure"]
    # CI runs the tests: the "no CI" trait is cleared, with the line that runs them
    no_ci = google.result("gcp.l0.no_ci")
    assert no_ci.status == "met" and no_ci.evidence[0].ref == ".github/workflows/ml.yml:13"
    assert azure.result("azure.l1.tech.app_tests").status == "met"
    recurring = azure.result("azure.l2.tech.recurring_jobs")
    assert recurring.status == "met" and recurring.evidence[0].ref == ".github/workflows/ml.yml:5"
    assert azure.result("azure.l2.tech.auto_training").status == "met"
    # ...but nothing shows validation, a model gate or a registry: Google level 0
    assert google.level == 0
    assert google.result("gcp.l1.data_validation").status == "not_met"
    assert azure.result("azure.l2.tech.model_mgmt").status == "not_met"
    assert any("looked in 3 files" in m for m in azure.result("azure.l2.tech.model_mgmt").missing)


def test_a_notebook_and_nothing_else(tmp_path: Path) -> None:
    root = write(tmp_path / "nb", {"analysis.ipynb": '{"cells": [], "nbformat": 4}'})
    scan = scan_repository(root)
    assert kinds(scan) == {"notebook": ["analysis.ipynb:1"]}
    a = assess(repo_facts(root))
    assert {m: s.level for m, s in a.models.items()} == {"google": 0, "azure": 0, "aws": 1}
    assert a.mlts.final == 0
    no_ci = a.models["google"].result("gcp.l0.no_ci")
    assert no_ci.status == "not_met"  # still true: no CI at all
    assert a.models["azure"].result("azure.l0.tech.manual_training").status == "not_met"


def test_infrastructure_and_registration_without_tests(tmp_path: Path) -> None:
    root = write(
        tmp_path / "infra",
        {
            "Dockerfile": "FROM python:3.11-slim\nCOPY . /app\n",
            "infra/main.tf": 'provider "aws" {}\n\nresource "aws_sagemaker_model" "m" {\n}\n',
            "k8s/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n",
            "src/register.py": (
                'import mlflow\n\n\ndef register(uri):\n    mlflow.register_model(uri, "churn")\n'
            ),
            ".gitlab-ci.yml": (
                "build:\n  script:\n    - docker build -t api .\n"
                "deploy:\n  script:\n    - kubectl apply -f k8s/\n"
            ),
        },
    )
    scan = scan_repository(root)
    found = kinds(scan)
    assert found["container"] == ["Dockerfile:1"]
    assert found["infra"] == ["infra/main.tf:3", "k8s/deploy.yaml:2"]
    assert found["registry"] == ["src/register.py:5"]
    assert found["ci.container"] == [".gitlab-ci.yml:3"]
    assert found["ci.deploy"] == [".gitlab-ci.yml:6"]
    assert "tests" not in found and "ci.tests" not in found
    a = assess(repo_facts(root))
    azure, google = a.models["azure"], a.models["google"]
    assert azure.result("azure.l2.tech.model_mgmt").evidence[0].ref == "src/register.py:5"
    assert azure.result("azure.l2.tech.managed_envs").evidence[0].ref == "Dockerfile:1"
    # no tests anywhere: testing is still manual and app tests are missing
    assert azure.result("azure.l0.tech.manual_testing").status == "not_met"
    assert azure.result("azure.l1.tech.app_tests").status == "not_met"
    assert google.result("gcp.l0.no_ci").status == "not_met"
    assert google.level == 0 and azure.level == 0


def test_an_empty_repository_with_a_ci_file_that_runs_nothing_raises_nothing(
    tmp_path: Path,
) -> None:
    empty = write(tmp_path / "empty", {"README.md": "nothing here\n"})
    ci = write(
        tmp_path / "ci",
        {
            "README.md": "nothing here\n",
            ".github/workflows/ci.yml": "on: [push]\njobs:\n  t:\n    runs-on: x\n"
            "    steps:\n      - run: python -m pytest\n      - run: python train.py\n",
        },
    )
    a0, a1 = assess(repo_facts(empty)), assess(repo_facts(ci))
    for model in a0.models:
        assert a1.models[model].level == a0.models[model].level
    assert a1.mlts.final == a0.mlts.final and a1.crosswalk.level == a0.crosswalk.level
    # the CI file is seen, but it runs no test functions and no training code
    assert {f.kind for f in scan_repository(ci).findings} == {"ci.workflow", "ci.on_push"}
    assert a1.models["google"].result("gcp.l0.no_ci").status == "not_met"


def test_hostile_files_are_refused_with_the_place_and_nothing_runs(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    root = write(
        tmp_path / "hostile",
        {
            ".github/workflows/a.yml": "on: push\njobs: [unclosed\n",
            ".github/workflows/b.yml": f"x: !!python/object/apply:os.system ['touch {marker}']\n",
            ".gitlab-ci.yml": "- just\n- a list\n",
            "src/setup_evil.py": f"import os\nos.system('touch {marker}')\n",
        },
    )
    (root / "big.py").write_bytes(b"x = 1\n" * 300_000)  # larger than the file limit
    (root / "link.py").symlink_to("/etc/passwd")
    scan = scan_repository(root)
    assert not marker.exists()
    skipped = "\n".join(scan.skipped)
    assert ".github/workflows/a.yml: not valid YAML at line" in skipped
    assert ".github/workflows/b.yml: not valid YAML" in skipped
    assert ".gitlab-ci.yml: is not a mapping of CI settings" in skipped
    assert "big.py: larger than 1024 KB, not read" in skipped
    assert not any(f.path == "link.py" for f in scan.findings)


def test_head_commit_is_read_from_the_git_folder(tmp_path: Path) -> None:
    git = tmp_path / "r" / ".git"
    (git / "refs" / "heads").mkdir(parents=True)
    (git / "HEAD").write_text("ref: refs/heads/main\n")
    (git / "refs" / "heads" / "main").write_text("a" * 40 + "\n")
    assert head_commit(tmp_path / "r") == "a" * 40
    (git / "refs" / "heads" / "main").unlink()
    (git / "packed-refs").write_text("# pack\n" + "b" * 40 + " refs/heads/main\n")
    assert head_commit(tmp_path / "r") == "b" * 40


def test_a_thousand_files_scan_quickly(tmp_path: Path) -> None:
    root = tmp_path / "many"
    for i in range(1000):
        folder = root / f"pkg{i % 20}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"mod{i}.py").write_text(TRAIN if i % 100 == 0 else "x = 1\n" * 50)
    start = time.perf_counter()
    scan = scan_repository(root)
    assert scan.files == 1000 and len(kinds(scan)["training"]) == 10
    assert time.perf_counter() - start < 3.0  # the 10,000-file figure is in bench/
