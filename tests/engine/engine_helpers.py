"""Engine test doubles: an in-memory artifact store and a listener that records events."""

from __future__ import annotations

import hashlib
import io
import threading
from pathlib import Path

from mlops_desktop.core.execution import NullListener
from mlops_desktop.core.graph import Pipeline
from mlops_desktop.core.operations import add_stage, connect
from mlops_desktop.core.registry import default_registry


class MemoryArtifacts:
    """A content-addressed store in a dict (the workspace's store writes files)."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}
        self.puts = 0

    def put_bytes(self, data: bytes, suffix: str = "") -> str:
        digest = hashlib.sha256(data).hexdigest()
        self.blobs[digest] = bytes(data)
        self.puts += 1
        return digest

    def put_file(self, path: Path, suffix: str = "") -> str:
        return self.put_bytes(Path(path).read_bytes(), suffix)

    def path(self, digest: str) -> Path:
        raise NotImplementedError

    def open(self, digest: str):
        return io.BytesIO(self.blobs[digest])

    def exists(self, digest: str) -> bool:
        return digest in self.blobs


class RecordingListener(NullListener):
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.events: list[tuple] = []
        self.stages: dict = {}
        self.metrics: list[tuple] = []
        self.logs: dict[str, list[str]] = {}

    def stage_started(self, run_id, node_id):
        with self.lock:
            self.events.append(("started", node_id))

    def stage_log(self, run_id, node_id, line):
        with self.lock:
            self.logs.setdefault(node_id, []).append(line)

    def metric_logged(self, run_id, node_id, key, step, value):
        with self.lock:
            self.metrics.append((node_id, key, step, value))

    def stage_finished(self, run_id, node_id, stage_run):
        with self.lock:
            self.events.append(("finished", node_id, stage_run.status.value))
            self.stages[node_id] = stage_run

    def run_finished(self, run_id, status, message):
        with self.lock:
            self.events.append(("run_finished", status.value, message))


def build(spec: list[tuple[str, str, dict]], links: list[tuple[str, str, str, str]]) -> Pipeline:
    """A pipeline from (node id, stage type, params) and (source, port, target, port)."""
    pipeline = Pipeline("test", default_registry())
    for node_id, stage_type, params in spec:
        pipeline.apply(add_stage(pipeline, stage_type, params=params, node_id=node_id))
    for src, sport, dst, dport in links:
        pipeline.apply(connect(src, sport, dst, dport))
    return pipeline


def classification_pipeline(
    dataset: str = "iris",
    estimator: str = "logistic_regression",
    rules: str = "accuracy >= 0.5 and accuracy > baseline_accuracy",
) -> Pipeline:
    return build(
        [
            ("load", "load_data", {"dataset": dataset}),
            ("split", "split", {}),
            ("fe", "feature_engineering", {}),
            ("train", "train", {"estimator": estimator, "n_estimators": 10}),
            ("eval", "evaluate", {"importance_repeats": 2}),
            ("gate", "model_gate", {"rules": rules}),
        ],
        [
            ("load", "dataset", "split", "dataset"),
            ("split", "split", "fe", "split"),
            ("fe", "split", "train", "split"),
            ("train", "model", "eval", "model"),
            ("fe", "split", "eval", "split"),
            ("train", "model", "gate", "model"),
            ("eval", "metrics", "gate", "metrics"),
        ],
    )


def build_with(registry, spec, links) -> Pipeline:
    """Like :func:`build`, with another registry (test stages)."""
    pipeline = Pipeline("test", registry)
    for node_id, stage_type, params in spec:
        pipeline.apply(add_stage(pipeline, stage_type, params=params, node_id=node_id))
    for src, sport, dst, dport in links:
        pipeline.apply(connect(src, sport, dst, dport))
    return pipeline
