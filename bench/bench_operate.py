"""Operate side: monitoring drift statistics on a large batch, registry writes, a trigger pass,
and the serving path (batch scoring plus inference log) on breast_cancer."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path


def _median_time(fn, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _monitor_rows() -> list[dict]:
    import numpy as np
    import pandas as pd

    from mlops_desktop.stages._monitoring import assess

    rng = np.random.default_rng(0)
    n, d = 100_000, 30
    cols = [f"f{i}" for i in range(d)]
    ref = pd.DataFrame(rng.normal(size=(n, d)), columns=cols)
    cur = pd.DataFrame(rng.normal(loc=0.3, size=(n, d)), columns=cols)
    cur["y_pred"] = rng.integers(0, 2, n)
    cur["latency_ms"] = 0.01
    params = {
        "psi_threshold": 0.2,
        "ks_pvalue": 0.01,
        "max_drifted_share": 0.25,
        "min_accuracy": 0.0,
        "max_latency_ms": 0.0,
        "bins": 10,
    }
    y_ref = rng.integers(0, 2, n)
    seconds = _median_time(lambda: assess(ref, cur, y_ref, "classification", params))
    return [
        {
            "benchmark": "operate",
            "metric": "monitor 100k rows x 30 features (PSI + KS)",
            "value": seconds,
            "unit": "s",
            "note": "median of 3",
        }
    ]


def _registry_rows() -> list[dict]:
    from mlops_desktop.app.registry import RegistryService
    from mlops_desktop.app.triggers import TriggerService
    from mlops_desktop.app.workspace import Workspace

    with tempfile.TemporaryDirectory() as folder, Workspace.open(Path(folder) / "w.db") as ws:
        ws.projects.create("p")
        registry = RegistryService(ws)
        start = time.perf_counter()
        for _ in range(100):
            registry.register("p", "clf", metrics={"accuracy": 0.9}, alias="candidate")
        register_ms = (time.perf_counter() - start) * 10.0
        start = time.perf_counter()
        for i in range(1, 51):
            registry.promote("p", "clf", i, "production")
        promote_ms = (time.perf_counter() - start) * 20.0
        start = time.perf_counter()
        registry.rollback("p", "clf", "production")
        rollback_ms = (time.perf_counter() - start) * 1000.0
        triggers = TriggerService(ws)
        start = time.perf_counter()
        triggers.run_due()
        pass_ms = (time.perf_counter() - start) * 1000.0
    return [
        {
            "benchmark": "operate",
            "metric": "register a version (with alias)",
            "value": register_ms,
            "unit": "ms",
            "note": "mean of 100, SQLite",
        },
        {
            "benchmark": "operate",
            "metric": "promote an alias",
            "value": promote_ms,
            "unit": "ms",
            "note": "mean of 50, SQLite",
        },
        {
            "benchmark": "operate",
            "metric": "roll back after 50 promotions",
            "value": rollback_ms,
            "unit": "ms",
            "note": "replays the alias history",
        },
        {
            "benchmark": "operate",
            "metric": "scheduler pass, nothing due",
            "value": pass_ms,
            "unit": "ms",
            "note": "one project",
        },
    ]


def _serving_rows() -> list[dict]:
    from sklearn.datasets import load_breast_cancer
    from sklearn.ensemble import RandomForestClassifier

    from mlops_desktop.core.execution import ModelValue
    from mlops_desktop.core.operate_entities import DeploymentValue
    from mlops_desktop.stages._serving import _inference_log, _score

    data = load_breast_cancer(as_frame=True)
    X, y = data.data, data.target
    model = RandomForestClassifier(n_estimators=50, random_state=0).fit(X, y)
    value = ModelValue(model, "classification", list(X.columns))
    dep = DeploymentValue(1, "production", "direct", 1.0, "clf", 1, value)
    batch = X.sample(20_000, replace=True, random_state=0).reset_index(drop=True)

    def serve() -> None:
        frame = batch.copy()
        _score(frame, batch, dep)
        _inference_log(frame, dep)

    seconds = _median_time(serve)
    plain = _median_time(lambda: model.predict(batch))
    return [
        {
            "benchmark": "operate",
            "metric": "serve 20k rows (score + inference log)",
            "value": seconds,
            "unit": "s",
            "note": f"plain predict: {plain:.3f} s",
        },
        {
            "benchmark": "operate",
            "metric": "serving throughput",
            "value": len(batch) / seconds,
            "unit": "rows/s",
            "note": "random forest, 50 trees",
        },
    ]


def run() -> list[dict]:
    return [*_monitor_rows(), *_registry_rows(), *_serving_rows()]


if __name__ == "__main__":
    for row in run():
        print(f"{row['metric']:<45} {row['value']:>12.4g} {row['unit']:<7} {row['note']}")
