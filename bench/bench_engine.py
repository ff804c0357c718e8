"""Engine cost: a real pipeline run against the same scikit-learn calls in a plain script,
and the scheduler's own overhead per stage (no event loop, no GUI).

1. Pipeline vs script, two workloads: breast_cancer with a random forest of 300 trees
   (small data, a large model to store) and a 20,000 x 20 synthetic Parquet file with
   histogram gradient boosting, 100 iterations (more data, a small model). Both sides load
   the data, split it (stratified, seeded), fit an imputer + scaler on the training part,
   train, and score the test part with the same metrics and a dummy baseline. The pipeline
   goes through RunService on a real SQLite workspace: run records, metric writes,
   Parquet/skops artifacts and cache entries included (``force=True`` so nothing is served
   from the cache). Medians of 5 interleaved pairs after one warm-up of each (the machine
   may be shared, so both sides see the same load; OpenMP timings swing widely on a busy
   machine). The evaluate stage takes class predictions from ``predict_proba`` (what
   ``predict`` computes for these models), one pass over the model fewer than the script.
   Goal: pipeline <= 1.10 x script + 0.2 s. Unforced (all cached) runs are timed too.
2. Scheduler overhead: chains and fan-outs of trivial stages in memory (no database), with
   the synchronous and the thread executor; reported per stage.

Run: python bench/bench_engine.py
"""

from __future__ import annotations

import hashlib
import io
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TREES = 300
REPEATS = 5


def _row(metric: str, value: Any, unit: str, note: str = "") -> dict[str, Any]:
    return {"benchmark": "engine", "metric": metric, "value": value, "unit": unit, "note": note}


# ----------------------------------------------------------------------- plain script
def plain_script(case: dict[str, Any]) -> float:
    """The same scikit-learn work as the pipeline, written by hand."""
    import numpy as np
    import pandas as pd
    from sklearn import metrics as m
    from sklearn.compose import ColumnTransformer
    from sklearn.datasets import load_breast_cancer
    from sklearn.dummy import DummyClassifier
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    if case["path"]:
        frame = pd.read_parquet(case["path"])
    else:
        frame = load_breast_cancer(as_frame=True).frame
    X, y = frame.drop(columns=["target"]), frame["target"]
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=42, stratify=y
    )
    numeric = Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())])
    prep = Pipeline([("columns", ColumnTransformer([("numeric", numeric, list(X.columns))]))])
    X_train = prep.fit_transform(X_train, y_train)
    X_test = prep.transform(X_test)
    if case["estimator"] == "random_forest":
        model = RandomForestClassifier(n_estimators=case["size"], random_state=0, n_jobs=-1)
    else:
        model = HistGradientBoostingClassifier(
            max_iter=case["size"], early_stopping=False, random_state=0
        )
    model.fit(X_train, y_train)
    pred, proba = model.predict(X_test), model.predict_proba(X_test)
    out = {
        "accuracy": m.accuracy_score(y_test, pred),
        "precision": m.precision_score(y_test, pred),
        "recall": m.recall_score(y_test, pred),
        "f1": m.f1_score(y_test, pred),
        "roc_auc": m.roc_auc_score(y_test, proba[:, 1]),
        "log_loss": m.log_loss(y_test, proba),
    }
    m.confusion_matrix(y_test, pred)
    m.roc_curve(y_test, proba[:, 1])
    m.precision_recall_curve(y_test, proba[:, 1])
    dummy = DummyClassifier(strategy="prior").fit(X_train, y_train)
    m.accuracy_score(y_test, dummy.predict(X_test))
    return float(np.mean(list(out.values())))


def pipeline_document(case: dict[str, Any]) -> Any:
    from mlops_desktop.core.graph import Pipeline
    from mlops_desktop.core.operations import add_stage, connect
    from mlops_desktop.core.registry import default_registry

    size = "n_estimators" if case["estimator"] == "random_forest" else "max_iter"
    load = (
        {"source": "file", "path": case["path"]} if case["path"] else {"dataset": "breast_cancer"}
    )
    p = Pipeline("bench", default_registry())
    for node_id, stage_type, params in [
        ("load", "load_data", load),
        ("split", "split", {}),
        ("fe", "feature_engineering", {"one_hot": False}),
        ("train", "train", {"estimator": case["estimator"], size: case["size"]}),
        ("eval", "evaluate", {"permutation_importance": False}),
    ]:
        p.apply(add_stage(p, stage_type, params=params, node_id=node_id))
    for link in [
        ("load", "dataset", "split", "dataset"),
        ("split", "split", "fe", "split"),
        ("fe", "split", "train", "split"),
        ("fe", "split", "eval", "split"),
        ("train", "model", "eval", "model"),
    ]:
        p.apply(connect(*link))
    return p


def _timed(fn: Any) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _cases(tmp: Path) -> list[dict[str, Any]]:
    import pandas as pd
    from sklearn.datasets import make_classification

    X, y = make_classification(20_000, 20, n_informative=10, random_state=0)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(20)]).assign(target=y)
    path = tmp / "synthetic.parquet"
    frame.to_parquet(path)
    return [
        {
            "name": "breast_cancer, random forest 300 trees",
            "path": "",
            "estimator": "random_forest",
            "size": TREES,
        },
        {
            "name": "20k x 20 Parquet, hist gradient boosting 100 iterations",
            "path": str(path),
            "estimator": "hist_gradient_boosting",
            "size": 100,
        },
    ]


def pipeline_vs_script() -> list[dict[str, Any]]:
    from mlops_desktop.app.runs import RunService
    from mlops_desktop.app.workspace import Workspace
    from mlops_desktop.core import serialization

    rows = []
    with tempfile.TemporaryDirectory() as tmp, Workspace.open(str(Path(tmp) / "ws.db")) as ws:
        service = RunService(ws)
        for n, case in enumerate(_cases(Path(tmp))):
            proj = ws.projects.create(f"bench{n}")
            ws.pipelines.create(proj.id, "main", serialization.to_dict(pipeline_document(case)))

            def run_pipeline(force: bool = True, name: str = proj.name) -> None:
                run = service.run(name, force=force)
                assert run.status.value == "succeeded", run.message

            def script(c: dict[str, Any] = case) -> None:
                # On a thread of its own, as the stages run: an OpenMP thread team left on
                # the main thread would throttle the stages' teams (and the app's main
                # thread never fits models).
                worker = threading.Thread(target=plain_script, args=(c,))
                worker.start()
                worker.join()

            script()
            run_pipeline()
            pairs = [(_timed(script), _timed(run_pipeline)) for _ in range(REPEATS)]  # interleaved
            plain = statistics.median(p[0] for p in pairs)
            pipe = statistics.median(p[1] for p in pairs)
            cached = statistics.median(_timed(lambda r=run_pipeline: r(False)) for _ in range(3))
            budget = 1.10 * plain + 0.2
            label = case["name"]
            rows += [
                _row(f"plain script: {label}", plain, "s", "same sklearn calls by hand"),
                _row(
                    f"pipeline run (forced): {label}",
                    pipe,
                    "s",
                    "RunService on SQLite, artifacts written",
                ),
                _row(
                    f"pipeline / script: {label}",
                    pipe / plain,
                    "x",
                    f"budget {budget:.2f} s (1.10 x script + 0.2 s)",
                ),
                _row(
                    f"within budget: {label}",
                    pipe <= budget,
                    "",
                    f"{pipe - plain:+.3f} s over the script",
                ),
                _row(
                    f"pipeline run, all cached: {label}",
                    cached,
                    "s",
                    "second run of an unchanged pipeline",
                ),
            ]
    return rows


# ----------------------------------------------------------------------- scheduler overhead
def noop(ctx: Any, inputs: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """A stage that does nothing but pass a number on."""
    return {"out": 1 + sum(v for v in inputs.values() if isinstance(v, int))}


class _Artifacts:
    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}

    def put_bytes(self, data: bytes, suffix: str = "") -> str:
        digest = hashlib.sha256(data).hexdigest()
        self.blobs[digest] = data
        return digest

    def put_file(self, path: Path, suffix: str = "") -> str:
        return self.put_bytes(Path(path).read_bytes())

    def path(self, digest: str) -> Path:
        raise NotImplementedError

    def open(self, digest: str) -> io.BytesIO:
        return io.BytesIO(self.blobs[digest])

    def exists(self, digest: str) -> bool:
        return digest in self.blobs


def _noop_registry() -> Any:
    from mlops_desktop.core.ports import PortType
    from mlops_desktop.core.registry import StageRegistry
    from mlops_desktop.core.specs import PortSpec, StageSpec

    spec = StageSpec(
        id="noop",
        title="Noop",
        category="Bench",
        description="",
        kind="custom",
        impl="bench.bench_engine:noop",
        inputs=(PortSpec("a", PortType.ANY, optional=True),),
        outputs=(PortSpec("out", PortType.ANY),),
    )
    return StageRegistry([spec])


def _graph(n: int, shape: str) -> Any:
    from mlops_desktop.core.graph import Pipeline
    from mlops_desktop.core.operations import add_stage, connect

    p = Pipeline("overhead", _noop_registry())
    for i in range(n):
        p.apply(add_stage(p, "noop", node_id=f"n{i}", title=f"n{i}"))
    for i in range(1, n):
        src = f"n{i - 1}" if shape == "chain" else "n0"
        p.apply(connect(src, "out", f"n{i}", "a"))
    return p


def scheduler_overhead(n: int = 200) -> list[dict[str, Any]]:
    from mlops_desktop.core.execution import NullListener
    from mlops_desktop.engine.cache import MemoryCache
    from mlops_desktop.engine.executors import SynchronousExecutor, ThreadExecutor
    from mlops_desktop.engine.scheduler import Scheduler

    rows = []
    for shape in ("chain", "fan-out"):
        graph = _graph(n, shape)
        for name, make in (("sync", SynchronousExecutor), ("threads", ThreadExecutor)):
            executor = make()
            try:
                cache = MemoryCache()
                sched = Scheduler(_noop_registry(), _Artifacts(), cache, executor, NullListener())
                sched.run(graph, 0)  # warm-up (imports)
                times = [
                    _timed(lambda s=sched, g=graph: s.run(g, 1, force=True)) for _ in range(REPEATS)
                ]
                cached = _timed(lambda s=sched, g=graph: s.run(g, 2))
            finally:
                executor.close()
            per = statistics.median(times) / n * 1000
            rows.append(
                _row(
                    f"overhead per stage: {shape} of {n}, {name}",
                    per,
                    "ms",
                    "trivial stages, in-memory stores",
                )
            )
            rows.append(
                _row(
                    f"cached run: {shape} of {n}, {name}",
                    cached / n * 1000,
                    "ms/stage",
                    "cache lookups only",
                )
            )
    return rows


def run() -> list[dict[str, Any]]:
    return scheduler_overhead() + pipeline_vs_script()


if __name__ == "__main__":
    for r in run():
        print(r)
