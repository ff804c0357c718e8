"""``mlflow import`` from MLflow's SQL store reads the metric tables in one plain query per
page, and stores exactly the histories MLflow's own client returns (NaN points, unordered
logging, several keys, runs without metrics), with a progress line per page."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from mlops_desktop.app import mlflow_import
from mlops_desktop.app.workspace import Workspace
from mlops_desktop.cli import main

pytest.importorskip("mlflow")
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning")

T0 = 1_700_000_000_000


def _store(path: Path) -> str:
    from mlflow.entities import Metric
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{path}"
    client = MlflowClient(uri)
    exp = client.create_experiment("team")
    for i in range(4):
        run = client.create_run(exp, start_time=T0 + i * 1000, run_name=f"r{i}")
        metrics = [  # logged out of order, a NaN, the same step twice at two times
            Metric("loss", 0.5 - s / 10, T0 + 10 - s, 3 - s) for s in range(4)
        ] + [
            Metric("loss", math.nan, T0 + 20, 4),
            Metric("f1", 0.7, T0 + 30, 1),
            Metric("f1", 0.75, T0 + 31, 1),
        ]
        if i != 2:  # run 2 has no metrics at all
            client.log_batch(run.info.run_id, metrics=metrics)
        client.set_terminated(run.info.run_id, "FINISHED", T0 + 9000)
    return uri


def test_sql_store_histories_are_mlflows_own(tmp_path, capsys, monkeypatch):
    from mlflow.tracking import MlflowClient

    from mlops_desktop.app import mlflow_sql

    uri = _store(tmp_path / "mlflow.db")
    assert mlflow_sql.sql_store(MlflowClient(uri)) is not None  # the plain-read path is taken
    ws_path = tmp_path / "w.db"
    assert main(["--workspace", str(ws_path), "project", "create", "copy"]) == 0
    monkeypatch.setattr(mlflow_import, "PAGE", 3)
    capsys.readouterr()
    args = ["--workspace", str(ws_path), "mlflow", "import", "copy", "--tracking-uri", uri]
    assert main(args) == 0
    out = capsys.readouterr()
    assert "imported 4 run(s), skipped 0" in out.out
    progress = [line for line in out.err.splitlines() if line.startswith("imported")]
    assert list(dict.fromkeys(progress)) == [  # a line per page (and per empty experiment)
        "imported 3 run(s), skipped 0…",
        "imported 4 run(s), skipped 0…",
    ]

    client = MlflowClient(uri)
    with Workspace.open(ws_path) as ws:
        runs = list(reversed(ws.runs.list(ws.projects.get("copy").id)))
        assert len(runs) == 4
        for run in runs:
            mlflow_id = run.params["MLflow run"]["run_id"]
            keys = set(client.get_run(mlflow_id).data.metrics)
            assert set(ws.metrics.keys(run.id)) == keys
            assert keys == (
                set() if run.params["MLflow run"]["run_name"] == "r2" else {"loss", "f1"}
            )
            for key in keys:
                theirs = sorted(
                    client.get_metric_history(mlflow_id, key),
                    key=lambda m: (m.timestamp, m.step, m.value),
                )
                steps, values, stamps = ws.metrics.history(run.id, key)
                assert steps.tolist() == [m.step for m in theirs]
                assert stamps.tolist() == pytest.approx([m.timestamp / 1000 for m in theirs])
                for got, want in zip(values.tolist(), [m.value for m in theirs], strict=True):
                    assert (math.isnan(got) and math.isnan(want)) or got == want
