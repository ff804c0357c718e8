"""``mlflow import`` in bulk: a page of MLflow runs per transaction, a progress line, and
the same stored runs, stage records and metric histories as MLflow holds."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from mlops_desktop.app import mlflow_import
from mlops_desktop.app.workspace import Workspace
from mlops_desktop.cli import main

pytest.importorskip("mlflow")
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning")


def _mlflow_store(path: Path) -> str:
    from mlflow.entities import Metric, Param, RunTag
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{path}"
    client = MlflowClient(uri)
    exp = client.create_experiment("team")
    for i in range(5):
        run = client.create_run(exp, start_time=1_700_000_000_000 + i * 1000, run_name=f"r{i}")
        metrics = [
            Metric("loss", 1.0 / (s + 1 + i), 1_700_000_000_000 + s, s) for s in range(4)
        ] + [Metric("accuracy", 0.8 + i / 100, 1_700_000_000_500, 0)]
        client.log_batch(
            run.info.run_id,
            metrics=metrics,
            params=[Param("alpha", str(i))],
            tags=[RunTag("team", "a")],
        )
        client.set_terminated(
            run.info.run_id, "FAILED" if i == 4 else "FINISHED", 1_700_000_009_000 + i
        )
    return uri


def test_import_writes_a_page_per_transaction_with_progress(tmp_path, capsys, monkeypatch):
    uri = _mlflow_store(tmp_path / "mlflow.db")
    ws_path = tmp_path / "w.db"
    assert main(["--workspace", str(ws_path), "project", "create", "copy"]) == 0
    monkeypatch.setattr(mlflow_import, "PAGE", 2)  # 5 runs: 3 pages
    inserts: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO RUNS"):
            inserts.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        capsys.readouterr()
        assert (
            main(["--workspace", str(ws_path), "mlflow", "import", "copy", "--tracking-uri", uri])
            == 0
        )
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    out = capsys.readouterr()
    assert "imported 5 run(s), skipped 0" in out.out
    progress = [line for line in out.err.splitlines() if line.startswith("imported")]
    assert list(dict.fromkeys(progress)) == [
        "imported 2 run(s), skipped 0…",
        "imported 4 run(s), skipped 0…",
        "imported 5 run(s), skipped 0…",
    ]
    assert len(inserts) == 3  # one insert of runs per page, not one per run

    with Workspace.open(ws_path) as ws:
        proj = ws.projects.get("copy")
        runs = list(reversed(ws.runs.list(proj.id, with_stages=True)))
        assert len(runs) == 5
        for i, run in enumerate(runs):
            assert run.trigger == "mlflow_import" and run.executor == "mlflow"
            assert run.status.value == ("failed" if i == 4 else "succeeded")
            assert run.params["MLflow params"] == {"alpha": str(i)}
            assert run.params["MLflow tags"] == {"team": "a"}
            assert run.params["MLflow run"]["run_name"] == f"r{i}"
            (stage,) = run.stages
            assert stage.title == f"MLflow: r{i}" and stage.duration_s == pytest.approx(
                9 + 0.001 * i - i
            )
            steps, values, stamps = ws.metrics.history(run.id, "loss")
            assert steps.tolist() == [0, 1, 2, 3]
            assert values.tolist() == pytest.approx([1.0 / (s + 1 + i) for s in range(4)])
            assert stamps[0] == pytest.approx(1_700_000_000.0)
            assert ws.metrics.latest(run.id)["accuracy"] == pytest.approx(0.8 + i / 100)

    # importing again copies nothing and says so
    assert (
        main(["--workspace", str(ws_path), "mlflow", "import", "copy", "--tracking-uri", uri]) == 0
    )
    assert "imported 0 run(s), skipped 5" in capsys.readouterr().out
