"""The feature-store criteria are met by a feature store that really fed training and
serving in a recorded execution, and by nothing less.

Through the CLI: ``pipeline import`` a SageMaker definition whose feature-store step feeds
the training step and the batch-scoring step (and a freshness monitor), ``evidence
executions`` what its executions did, ``assess --json``. A declared feature store, one whose
execution was a cache hit, or one wired to neither training nor serving leaves them unmet.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_cloud_executions import FIXTURES, cli, criteria, record

FEATURE_STORE = (
    "gcp.l1.feature_store",
    "gcp.stage.feature_mgmt",
    "azure.l2.tech.feature_store",
    "azure.l4.tech.feature_freshness",
    "aws.cap.feature_store",
    "x.feature_store",
)
WIRED = ("gcp.l1.feature_store", "gcp.stage.feature_mgmt", "aws.cap.feature_store")
MET = ("met", "suggested")


@pytest.fixture
def ws(tmp_path: Path, capsys) -> list[str]:
    args = ["--workspace", str(tmp_path / "w.db")]
    assert cli(capsys, *args, "project", "create", "demo")[0] == 0
    return args


def import_file(capsys, ws: list[str], path: Path) -> None:
    code, _out, err = cli(capsys, *ws, "pipeline", "import", "demo", str(path))
    assert code == 0, err


def statuses(found: dict[str, dict[str, Any]]) -> dict[str, str]:
    return {k: found[k]["status"] for k in FEATURE_STORE}


def test_a_feature_store_that_fed_training_and_serving_meets_every_criterion(capsys, ws) -> None:
    import_file(capsys, ws, FIXTURES / "sagemaker" / "feature_store.json")
    declared = criteria(capsys, ws)
    assert all(s == "not_met" for s in statuses(declared).values()), statuses(declared)
    why = " ".join(declared["gcp.l1.feature_store"]["missing"])
    assert "feature_store.json declares Feature store CustomerFeatureStore (Steps[0])" in why

    record(capsys, ws, "feature_store", "feature-store-cached.json")  # a cache hit: nothing ran
    cached = criteria(capsys, ws)
    assert all(s == "not_met" for s in statuses(cached).values()), statuses(cached)

    record(capsys, ws, "feature_store", "feature-store-ran.json")
    ran = criteria(capsys, ws)
    assert all(s in MET for s in statuses(ran).values()), statuses(ran)
    evidence = [e["label"] for e in ran["gcp.l1.feature_store"]["evidence"]]
    assert "feature_store.json Steps[0]: CustomerFeatureStore (ran in a recorded execution)" in (
        evidence
    )
    assert any(label.startswith("run #2 of feature_store") for label in evidence)


def test_a_feature_store_wired_to_nothing_is_no_shared_feature_store(
    capsys, ws, tmp_path: Path
) -> None:
    """Training and serving read the raw bucket; the 'feature store' step feeds nobody."""
    doc = json.loads((FIXTURES / "sagemaker" / "feature_store.json").read_text())
    text = json.dumps(doc).replace(
        '{"Get": "Steps.CustomerFeatureStore.ProcessingOutputConfig.Outputs[\'offline\']'
        '.S3Output.S3Uri"}',
        '"s3://team-bucket/customers/raw"',
    )
    unwired = json.loads(text)
    unwired["Steps"][3].pop("DependsOn")  # the monitor watches something else
    path = tmp_path / "feature_store.json"
    path.write_text(json.dumps(unwired))
    import_file(capsys, ws, path)
    record(capsys, ws, "feature_store", "feature-store-ran.json")
    found = statuses(criteria(capsys, ws))
    for key in (*WIRED, "azure.l4.tech.feature_freshness"):
        assert found[key] == "not_met", (key, found[key])
    # the step did run and write a feature group: the store was adopted
    assert found["azure.l2.tech.feature_store"] in MET and found["x.feature_store"] in MET
