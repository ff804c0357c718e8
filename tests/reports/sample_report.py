"""Build report data for tests from real objects: a real pipeline of the built-in stage types,
real scikit-learn metrics on a bundled dataset, and a PNG heatmap of the real confusion matrix.

Other test folders load this file by path (tests/ is not a package).
"""

from __future__ import annotations

import functools
import struct
import zlib
from datetime import UTC, datetime, timedelta

from mlops_desktop.core.entities import Run, RunStatus, StageRun, StageStatus
from mlops_desktop.core.graph import Link, Node, Pipeline
from mlops_desktop.reports.model import (
    CriterionRow,
    CrosswalkRow,
    DeploymentRow,
    Figure,
    GapRow,
    MaturityLevel,
    MaturitySection,
    ModelVersionRow,
    ProjectSummary,
    RegistrySection,
    ReportData,
    SourceRef,
    TransitionRow,
)
from mlops_desktop.reports.sections import pipeline_section, run_comparison, run_summary

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
STAGES = [
    ("load", "load_data", "Load data", {"dataset": "breast_cancer"}),
    ("validate", "validate_data", "Validate data", {}),
    ("split", "split", "Split", {"test_size": 0.3}),
    ("train", "train", "Train", {"estimator": "logistic_regression", "max_iter": 500, "C": 0.5}),
    ("evaluate", "evaluate", "Evaluate", {"permutation_importance": False}),
    ("gate", "model_gate", "Model gate", {}),
]
LINKS = [
    ("load", "dataset", "validate", "dataset"),
    ("validate", "dataset", "split", "dataset"),
    ("split", "split", "train", "split"),
    ("train", "model", "evaluate", "model"),
    ("split", "split", "evaluate", "split"),
    ("train", "model", "gate", "model"),
    ("evaluate", "metrics", "gate", "metrics"),
]


def real_metrics(seed: int = 0, C: float = 0.5) -> tuple[dict[str, float], list[list[int]]]:
    """Scores of a logistic regression on scikit-learn's breast cancer data."""
    metrics, cm = _real_metrics(seed, C)
    return dict(metrics), [list(r) for r in cm]


@functools.cache
def _real_metrics(seed: int, C: float) -> tuple[dict[str, float], list[list[int]]]:
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import (
        accuracy_score,
        confusion_matrix,
        f1_score,
        log_loss,
        precision_score,
        recall_score,
        roc_auc_score,
    )
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = load_breast_cancer(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, random_state=seed)
    model = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=500)).fit(Xtr, ytr)
    pred, proba = model.predict(Xte), model.predict_proba(Xte)[:, 1]
    metrics = {
        "accuracy": accuracy_score(yte, pred),
        "precision": precision_score(yte, pred),
        "recall": recall_score(yte, pred),
        "f1": f1_score(yte, pred),
        "roc_auc": roc_auc_score(yte, proba),
        "log_loss": log_loss(yte, proba),
        "baseline_accuracy": max(yte.mean(), 1 - yte.mean()),
    }
    return {k: float(v) for k, v in metrics.items()}, confusion_matrix(yte, pred).tolist()


def png_heatmap(matrix: list[list[int]], cell: int = 60) -> bytes:
    """A PNG (RGB) of ``matrix`` as a blue heatmap: a real image for the report's figures."""
    top = max(max(r) for r in matrix) or 1
    rows = len(matrix) * cell
    cols = len(matrix[0]) * cell
    raw = bytearray()
    for y in range(rows):
        raw.append(0)
        for x in range(cols):
            v = matrix[y // cell][x // cell] / top
            edge = x % cell == 0 or y % cell == 0
            rgb = (255, 255, 255) if edge else (int(235 - 200 * v), int(240 - 150 * v), 255)
            raw.extend(rgb)

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))

    header = struct.pack(">IIBBBBB", cols, rows, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(raw)))
        + chunk(b"IEND", b"")
    )


def make_pipeline(stage_title: str | None = None) -> Pipeline:
    p = Pipeline("Training pipeline")
    nodes = [
        Node(nid, typ, title, params, x=i * 200.0, y=0.0)
        for i, (nid, typ, title, params) in enumerate(STAGES)
    ]
    if stage_title is not None:
        nodes[3] = nodes[3].with_(title=stage_title)
    links = [Link(f"l{i}", a, ap, b, bp) for i, (a, ap, b, bp) in enumerate(LINKS)]
    p.load_items(nodes, links)
    return p


def make_run(run_id: int, status: RunStatus = RunStatus.SUCCEEDED, hours: float = 0) -> Run:
    start = T0 + timedelta(hours=hours)
    stages = tuple(
        StageRun(
            nid,
            typ,
            title,
            StageStatus.SUCCEEDED,
            started_at=start + timedelta(seconds=i),
            finished_at=start + timedelta(seconds=i + 1.5),
            duration_s=1.5 + i * 0.25,
        )
        for i, (nid, typ, title, _params) in enumerate(STAGES)
    )
    return Run(
        id=run_id,
        project_id=1,
        pipeline_id=1,
        pipeline_version_id=1,
        status=status,
        trigger="schedule" if run_id % 2 else "manual",
        environment="dev",
        created_at=start,
        started_at=start,
        finished_at=start + timedelta(seconds=12.5),
        commit="3f2a9c1",
        executor="threads",
        stages=stages,
    )


def make_report(
    project: str = "Churn model",
    stage_title: str | None = None,
    description: str = "Predicts which customers leave, retrained weekly.",
    n_runs: int = 4,
    with_maturity: bool = True,
    figures: bool = True,
) -> tuple[ReportData, dict[str, float]]:
    """A full report built from real objects; returns it and the latest run's real metrics."""
    metrics, cm = real_metrics()
    runs = [make_run(i + 1, hours=i * 24) for i in range(n_runs)]
    by_run = {r.id: real_metrics(seed=r.id, C=0.1 * r.id)[0] for r in runs[:-1]}
    by_run[runs[-1].id] = metrics
    pipeline = make_pipeline(stage_title)
    data = ReportData(
        project=ProjectSummary(
            name=project,
            description=description,
            template="google",
            created_at=T0 - timedelta(days=3),
            updated_at=T0,
            pipelines=[pipeline.name],
            run_count=len(runs),
        ),
        generated_at=T0 + timedelta(days=5),
        app_version="0.1.0",
        lens="google",
        pipeline=pipeline_section(pipeline, "google", version=3),
        latest_run=run_summary(runs[-1], metrics, pipeline=pipeline.name),
        recent_runs=run_comparison(runs, by_run),
    )
    if figures:
        heat = png_heatmap(cm)
        data.pipeline.picture = Figure("Pipeline, grouped by lifecycle phase", png=heat)
        data.plots = [
            Figure(
                "Confusion matrix of the latest run (test part)", png=heat, kind="confusion_matrix"
            )
        ]
    data.registry = RegistrySection(
        versions=[
            ModelVersionRow("churn", 2, "production", 4, T0 + timedelta(days=3), metrics),
            ModelVersionRow("churn", 1, "archived", 2, T0 + timedelta(days=1), by_run[2]),
        ],
        transitions=[
            TransitionRow(
                T0 + timedelta(days=3), "churn", 2, "staging", "production", "ana", "beat v1"
            ),
        ],
        deployments=[
            DeploymentRow(
                T0 + timedelta(days=3), "churn", 2, "production", "canary", "auto", "active"
            ),
        ],
    )
    if with_maturity:
        data.maturity = sample_maturity(figures)
    return data, metrics


def sample_maturity(figures: bool = True) -> MaturitySection:
    return MaturitySection(
        assessed_at=T0 + timedelta(days=5),
        levels=[
            MaturityLevel(
                "google", "Google Cloud", "Level 1", 1, 2, 2.0, "CT pipeline with triggers"
            ),
            MaturityLevel(
                "azure", "Microsoft Azure", "Level 2", 2, 4, 2.0, "training is automated"
            ),
            MaturityLevel("aws", "AWS", "Repeatable", 1, 3, 1.5, "pipelines in source control"),
        ],
        radar=Figure("Capabilities on the 0–4 scale", png=png_heatmap([[1, 2], [3, 4]]))
        if figures
        else None,
        criteria=[
            CriterionRow(
                "google",
                "gcp.stage.ct.data_validation_gate",
                "Data validation before training",
                "1",
                "met",
                "AUTO",
                ["link Validate data → Split → Train"],
            ),
            CriterionRow(
                "google",
                "gcp.stage.monitoring.steps",
                "Monitoring of serving data",
                "1",
                "not met",
                "AUTO",
                [],
            ),
        ],
        gaps=[
            GapRow(
                "google",
                "Level 2",
                "gcp.stage.monitoring.steps",
                "Monitoring of serving data",
                "Add a Monitor stage after Serve and wire its alert to retraining.",
            ),
        ],
        crosswalk=[
            CrosswalkRow("Monitoring", {"google": "L1", "azure": "L3", "aws": "Reliable"}, 1.0)
        ],
        crosswalk_models=[("google", "Google Cloud"), ("azure", "Microsoft Azure"), ("aws", "AWS")],
        sources=[
            SourceRef(
                "Google Cloud: MLOps: continuous delivery and automation pipelines",
                "https://cloud.google.com/architecture/mlops-continuous-delivery-and-automation-pipelines-in-machine-learning",
            ),
            SourceRef("Not a link", "javascript:alert(1)"),
        ],
        summary="ML Test Score: 1.5 (lowest section: monitoring).",
    )


TRAINING = [
    ("load", "load_data", "Load data", {"dataset": "breast_cancer"}),
    ("split", "split", "Split", {"test_size": 0.3}),
    ("train", "train", "Train", {"estimator": "logistic_regression", "max_iter": 300}),
    ("evaluate", "evaluate", "Evaluate", {"permutation_importance": False}),
]
TRAINING_LINKS = [
    ("load", "dataset", "split", "dataset"),
    ("split", "split", "train", "split"),
    ("train", "model", "evaluate", "model"),
    ("split", "split", "evaluate", "split"),
]


def training_pipeline(stage_title: str = "Train", C: float = 1.0) -> Pipeline:
    """A small real training pipeline of built-in stages (runs in about a second)."""
    p = Pipeline("Training")
    nodes = [
        Node(nid, typ, stage_title if nid == "train" else title, dict(params), x=i * 220.0)
        for i, (nid, typ, title, params) in enumerate(TRAINING)
    ]
    nodes[2] = nodes[2].with_(params={**nodes[2].params, "C": C})
    links = [Link(f"l{i}", a, ap, b, bp) for i, (a, ap, b, bp) in enumerate(TRAINING_LINKS)]
    p.load_items(nodes, links)
    return p


def workspace_with_runs(
    location: str, project: str = "Churn model", stage_title: str = "Train", runs: int = 2
):
    """A real workspace holding ``project`` whose training pipeline ran ``runs`` times
    (with a different C each time, so the runs differ). Returns the open workspace."""
    from mlops_desktop.app.projects import ProjectService
    from mlops_desktop.app.runs import RunService
    from mlops_desktop.app.workspace import Workspace

    ws = Workspace.open(location)
    ProjectService(ws).create_project(project, template="blank", description="Scores tumours.")
    service = RunService(ws, workers=1)
    for i in range(runs):
        run = service.run(
            project, document=training_pipeline(stage_title, C=0.5 + i), executor="threads"
        )
        assert str(run.status) == "succeeded", run.message
    return ws
