"""How long a maturity assessment takes: the pure evaluation over synthetic history of
growing size, and gathering the facts from a real SQLite workspace."""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path


def _facts(n_runs: int):
    from mlops_desktop.core.maturity.facts import (
        DeploymentFacts,
        ModelVersionFacts,
        PipelineFacts,
        ProjectFacts,
        RunFacts,
        StageFacts,
    )
    from mlops_desktop.core.resources import load_json
    from mlops_desktop.core.serialization import from_dict

    now = datetime(2026, 11, 1, tzinfo=UTC)
    pipeline = from_dict(load_json("templates", "google.json"))
    stages = tuple(StageFacts(n, pipeline.nodes[n].type, "succeeded", 0.2) for n in pipeline.nodes)
    runs, versions, deploys = [], [], []
    for i in range(n_runs):
        at = now - timedelta(hours=i)
        runs.append(
            RunFacts(
                i + 1,
                pipeline.name,
                "succeeded",
                "monitor_alert" if i % 2 else "schedule",
                "production" if i % 3 else "dev",
                1,
                1,
                "abc",
                "threads",
                metrics={"accuracy": 0.9, "baseline_accuracy": 0.6},
                input_hashes={"load": "h"},
                duration_s=3.0,
                started_at=at,
                stages=stages,
            )
        )
        versions.append(ModelVersionFacts("model", i + 1, i + 1, created_at=at))
        deploys.append(
            DeploymentFacts(i + 1, "production", "canary", "", at, "model", i + 1, i + 1)
        )
    return ProjectFacts(
        "bench",
        (PipelineFacts(pipeline.name, pipeline, 1, 1, now),),
        tuple(runs),
        tuple(versions),
        tuple(deploys),
        now=now,
    )


def _median_time(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run() -> list[dict]:
    from mlops_desktop.core.maturity import assess

    rows = []
    for n in (10, 100, 1000):
        facts = _facts(n)
        t = _median_time(lambda f=facts: assess(f))
        rows.append(
            {
                "benchmark": "maturity assess (pure)",
                "metric": f"{n} runs",
                "value": t * 1000,
                "unit": "ms",
                "note": "median of 5; 3 vendor models + ML Test Score + crosswalk",
            }
        )
    rows.append(_workspace_row())
    return rows


def _workspace_row() -> dict:
    from mlops_desktop.app.assessment import AssessmentService
    from mlops_desktop.app.projects import ProjectService
    from mlops_desktop.app.runs import RunService
    from mlops_desktop.app.workspace import Workspace

    with tempfile.TemporaryDirectory() as folder:
        ws = Workspace.open(str(Path(folder) / "ws.db"))
        try:
            ProjectService(ws).create_project("bench", "google")
            runs = RunService(ws)
            for i in range(5):
                runs.run(
                    "bench",
                    environment="production" if i else "dev",
                    trigger="schedule" if i else "manual",
                )
            svc = AssessmentService(ws)
            t = _median_time(lambda: svc.assess("bench", save=False))
        finally:
            ws.close()
    return {
        "benchmark": "maturity assess (workspace)",
        "metric": "5 real runs",
        "value": t * 1000,
        "unit": "ms",
        "note": "facts from SQLite (runs, registry, deployments, alerts) + evaluation; median of 5",
    }


if __name__ == "__main__":
    for row in run():
        print(row)
