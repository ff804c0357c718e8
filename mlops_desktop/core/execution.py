"""What a running stage sees and what a run reports: the contract between engine and stages.

A stage implementation is a plain function ``impl(ctx, inputs, params) -> outputs`` (outputs
by port name). ``ctx`` is a :class:`StageContext`; the engine reports a run's progress only
through a :class:`RunListener`. Port values are the dataclasses below (a pandas DataFrame or
an estimator plus what later stages need to know about it). This module imports nothing
heavy: pandas and scikit-learn objects only pass through it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn, Protocol, runtime_checkable

from mlops_desktop.core.entities import RunStatus, StageRun
from mlops_desktop.core.errors import MlopsError

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    #: The steps and values of a metric series in one bulk call (lists or numpy arrays).
    Steps = Sequence[int] | NDArray[np.integer[Any]]
    Values = Sequence[float] | NDArray[np.floating[Any]]

log = logging.getLogger(__name__)

CLASSIFICATION = "classification"
REGRESSION = "regression"


# ---------------------------------------------------------------------------- exceptions
class Cancelled(Exception):  # noqa: N818 - a signal, not an error
    """Raised by :meth:`StageContext.check_cancelled` once the run was asked to stop."""


class StageFailed(MlopsError):
    """A stage gave up with a message meant for the user (no traceback needed)."""


# ---------------------------------------------------------------------------- protocols
@runtime_checkable
class StageContext(Protocol):
    """The calls a stage may make while it runs."""

    node_id: str
    run_id: int
    environment: str
    trigger: str
    threads: int  # this stage's share of the cores: use it for n_jobs
    services: Mapping[str, Any]  # app-provided services by name ("registry", "approvals"...)

    def progress(self, fraction: float, message: str = "") -> None: ...

    def log(self, message: str) -> None: ...

    def log_metric(self, key: str, value: float, step: int | None = None) -> None: ...

    def log_metrics(
        self, key: str, values: np.ndarray, steps: np.ndarray | None = None
    ) -> None: ...

    def log_artifact(self, name: str, data: bytes, kind: str) -> str: ...

    def check_cancelled(self) -> None: ...

    def fail(self, message: str) -> NoReturn: ...  # raises: the stage failed

    def skip_downstream(self, reason: str) -> None: ...


@runtime_checkable
class RunListener(Protocol):
    """Receives a run's events: the one declared seam between the engine and whoever records
    or shows a run (the run recorder, the GUI, the command line, trigger bookkeeping).

    Called from worker threads: implementations must be thread-safe and quick (the GUI
    marshals them to its own thread). The engine calls these methods directly, never by
    name, so a listener that lacks one fails the type check, not silently at run time.

    Order for one stage: ``stage_started``, then any number of ``stage_progress``,
    ``stage_log``, ``metric_logged`` (one point, from ``ctx.log_metric``) and
    ``metrics_logged`` (a series, from ``ctx.log_metrics`` or a cache replay), then
    ``stage_finished`` with the stage's record (its :class:`StageStatus`). A stage served from
    the cache or skipped gets only ``stage_finished`` (after its replayed metrics).
    """

    def run_started(self, run_id: int) -> None: ...

    def stage_started(self, run_id: int, node_id: str) -> None: ...

    def stage_progress(self, run_id: int, node_id: str, fraction: float, message: str) -> None: ...

    def stage_log(self, run_id: int, node_id: str, line: str) -> None: ...

    def metric_logged(
        self, run_id: int, node_id: str, key: str, step: int, value: float
    ) -> None: ...

    def metrics_logged(
        self, run_id: int, node_id: str, key: str, steps: Steps, values: Values
    ) -> None: ...

    def stage_finished(self, run_id: int, node_id: str, stage_run: StageRun) -> None: ...

    def run_finished(self, run_id: int, status: RunStatus, message: str) -> None: ...


class StageSink(Protocol):
    """Where a running stage's context sends its events: the engine's side of
    :class:`StageContext`. An in-process executor passes a sink that calls the
    :class:`RunListener` at once; a remote one a sink that records the events, which travel
    back with the stage's outcome and are replayed to the listener."""

    def progress(self, run_id: int, node_id: str, fraction: float, message: str) -> None: ...

    def log(self, run_id: int, node_id: str, line: str) -> None: ...

    def metric(self, run_id: int, node_id: str, key: str, step: int, value: float) -> None: ...

    def metrics(
        self, run_id: int, node_id: str, key: str, steps: Steps, values: Values
    ) -> None: ...

    def artifact(self, data: bytes, suffix: str) -> str: ...  # stores the bytes: the digest

    def cancelled(self) -> bool: ...


class PointBuffer:
    """Single metric points (``metric_logged``) gathered per stage and key, to be handed on
    as series at most every ``interval`` seconds: a stage logging 10,000 points in a loop
    then costs whoever shows them a few dozen events, not 10,000. Thread-safe."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._lock = threading.Lock()
        self._points: dict[tuple[str, str], tuple[list[int], list[float]]] = {}
        self._last = 0.0

    def add(self, node_id: str, key: str, step: int, value: float) -> bool:
        """Keep one point; whether the gathered points are due to be handed on."""
        with self._lock:
            steps, values = self._points.setdefault((node_id, key), ([], []))
            steps.append(int(step))
            values.append(float(value))
            return time.monotonic() - self._last >= self.interval

    def take(self) -> list[tuple[str, str, list[int], list[float]]]:
        """The gathered points as ``(node id, key, steps, values)``, in the order the keys
        first came; the buffer starts again."""
        with self._lock:
            points, self._points = self._points, {}
            self._last = time.monotonic()
        return [(node_id, key, steps, values) for (node_id, key), (steps, values) in points.items()]


class ProgressGate:
    """Thins a run's progress events: per stage, one at most every ``interval`` seconds
    (a stage's end, fraction 1, always passes). Each one passed costs a repaint."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._last: dict[str, float] = {}

    def passes(self, node_id: str, fraction: float) -> bool:
        now = time.monotonic()
        if fraction < 1.0 and now - self._last.get(node_id, 0.0) < self.interval:
            return False
        self._last[node_id] = now
        return True


class NullListener:
    """A listener that ignores everything; subclass it and override what you need.

    ``metrics_logged`` hands each point of a series to ``metric_logged``, so a subclass that
    only cares about points sees every one of them.
    """

    def run_started(self, run_id: int) -> None:
        pass

    def stage_started(self, run_id: int, node_id: str) -> None:
        pass

    def stage_progress(self, run_id: int, node_id: str, fraction: float, message: str) -> None:
        pass

    def stage_log(self, run_id: int, node_id: str, line: str) -> None:
        pass

    def metric_logged(self, run_id: int, node_id: str, key: str, step: int, value: float) -> None:
        pass

    def metrics_logged(
        self, run_id: int, node_id: str, key: str, steps: Steps, values: Values
    ) -> None:
        for step, value in zip(steps, values, strict=True):
            self.metric_logged(run_id, node_id, key, int(step), float(value))

    def stage_finished(self, run_id: int, node_id: str, stage_run: StageRun) -> None:
        pass

    def run_finished(self, run_id: int, status: RunStatus, message: str) -> None:
        pass


class TeeListener:
    """Sends every event to several listeners in turn.

    With ``guard=True`` a listener that raises is logged and skipped (an extra view must not
    break the run); otherwise the exception propagates to the engine.
    """

    def __init__(self, targets: Iterable[RunListener | None], *, guard: bool = False) -> None:
        self.targets: list[RunListener] = [t for t in targets if t is not None]
        self.guard = guard

    def _failed(self, event: str) -> None:
        if not self.guard:
            raise
        log.exception("run listener failed on %s", event)

    def run_started(self, run_id: int) -> None:
        for t in self.targets:
            try:
                t.run_started(run_id)
            except Exception:
                self._failed("run_started")

    def stage_started(self, run_id: int, node_id: str) -> None:
        for t in self.targets:
            try:
                t.stage_started(run_id, node_id)
            except Exception:
                self._failed("stage_started")

    def stage_progress(self, run_id: int, node_id: str, fraction: float, message: str) -> None:
        for t in self.targets:
            try:
                t.stage_progress(run_id, node_id, fraction, message)
            except Exception:
                self._failed("stage_progress")

    def stage_log(self, run_id: int, node_id: str, line: str) -> None:
        for t in self.targets:
            try:
                t.stage_log(run_id, node_id, line)
            except Exception:
                self._failed("stage_log")

    def metric_logged(self, run_id: int, node_id: str, key: str, step: int, value: float) -> None:
        for t in self.targets:
            try:
                t.metric_logged(run_id, node_id, key, step, value)
            except Exception:
                self._failed("metric_logged")

    def metrics_logged(
        self, run_id: int, node_id: str, key: str, steps: Steps, values: Values
    ) -> None:
        for t in self.targets:
            try:
                t.metrics_logged(run_id, node_id, key, steps, values)
            except Exception:
                self._failed("metrics_logged")

    def stage_finished(self, run_id: int, node_id: str, stage_run: StageRun) -> None:
        for t in self.targets:
            try:
                t.stage_finished(run_id, node_id, stage_run)
            except Exception:
                self._failed("stage_finished")

    def run_finished(self, run_id: int, status: RunStatus, message: str) -> None:
        for t in self.targets:
            try:
                t.run_finished(run_id, status, message)
            except Exception:
                self._failed("run_finished")


class CacheLookup(Protocol):
    """Where the engine finds and records a stage's outputs by cache key (port -> digest)."""

    def get(self, cache_key: str) -> dict[str, str] | None: ...

    def put(self, cache_key: str, stage_type: str, outputs: dict[str, str]) -> None: ...


# ---------------------------------------------------------------------------- port values
@dataclass(slots=True)
class DatasetValue:
    """A table (pandas DataFrame) with its target column and what was learnt about it."""

    frame: Any  # pandas.DataFrame
    target: str = ""
    task: str = ""  # CLASSIFICATION, REGRESSION or "" when there is no target
    name: str = ""
    content_hash: str = ""
    schema: dict[str, str] = field(default_factory=dict)  # column -> dtype name
    # column -> feature, target, weight, time or group (ignored columns are not in frame)
    roles: dict[str, str] = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, int]:
        rows, cols = self.frame.shape
        return int(rows), int(cols)


@dataclass(slots=True)
class SplitValue:
    """Train/test (and optional validation) parts of a dataset.

    The parts hold raw rows of the original feature columns (feature engineering does not
    transform them: it sets ``preprocessor``, which the model pipeline refits on the training
    part). ``raw_test`` is the same as ``X_test``, kept for older callers. ``w_train`` holds
    the training rows' weights when a column has the weight role; ``g_train`` and ``t_train``
    the training rows' group and time values (pandas Series aligned with ``X_train``) when a
    column has the group or time role, for grouped or time-ordered cross-validation.
    """

    X_train: Any
    X_test: Any
    y_train: Any
    y_test: Any
    X_val: Any = None
    y_val: Any = None
    task: str = ""
    target: str = ""
    feature_names: list[str] = field(default_factory=list)
    dataset_hash: str = ""
    raw_test: Any = None
    seed: int = 0
    preprocessor: Any = None  # an unfitted scikit-learn transformer (None: the default one)
    w_train: Any = None
    g_train: Any = None
    t_train: Any = None
    w_val: Any = None  # the validation rows' weights (with a weight column)


@dataclass(slots=True)
class TransformerValue:
    """A fitted feature transformer (a scikit-learn ColumnTransformer or Pipeline)."""

    transformer: Any
    feature_names_in: list[str] = field(default_factory=list)
    feature_names_out: list[str] = field(default_factory=list)


@dataclass(slots=True)
class ModelValue:
    """A fitted model and what it needs to be used and described.

    ``estimator`` is the whole fitted scikit-learn Pipeline (``preprocess`` then ``model``):
    it scores raw rows of the ``feature_names`` columns.
    """

    estimator: Any
    task: str = ""
    feature_names: list[str] = field(default_factory=list)
    estimator_name: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    classes: list[Any] | None = None
    target: str = ""
    dataset_hash: str = ""


@dataclass(slots=True)
class MetricsValue:
    """Scalar metrics by name plus larger details (curves, matrices, importances...)."""

    values: dict[str, float] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, key: str) -> float:
        return self.values[key]


@dataclass(slots=True)
class PredictionsValue:
    """Predictions as a table (``y_pred``; ``y_true`` and ``proba_*`` columns when known)."""

    frame: Any  # pandas.DataFrame
    task: str = ""


@dataclass(slots=True)
class ReportValue:
    """A JSON-able document: a data profile, a package manifest, a test report..."""

    kind: str
    data: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------- results
@dataclass(slots=True)
class RunResult:
    """What :meth:`Scheduler.run` returns: the run's status and every stage's record."""

    run_id: int
    status: RunStatus
    message: str = ""
    stages: dict[str, StageRun] = field(default_factory=dict)  # node id -> record

    @property
    def succeeded(self) -> bool:
        return self.status is RunStatus.SUCCEEDED
