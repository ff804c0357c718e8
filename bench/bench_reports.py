"""How long a report takes for a project with 100 runs (goal: under 5 s for HTML and PDF).

The workspace is real SQLite. The project's training pipeline (load, split, logistic
regression, evaluate on scikit-learn's breast-cancer data) runs for real a few times, so
the newest runs carry the evaluate stage's confusion matrix and ROC curve; the remaining
history is recorded through the run and metric stores with the scores of real fits (one
logistic regression per run, each on its own split), as a long-lived project would have.
Measured: gathering the data, drawing the pipeline and plots offscreen, writing HTML, and
laying out and writing the PDF; medians of three.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

N_RUNS = 100
REAL_RUNS = 3
REPEATS = 3
PROJECT = "Breast cancer screening"


def _pipeline(C: float):  # noqa: ANN202, N803
    from mlops_desktop.core.graph import Link, Node, Pipeline

    stages = [
        ("load", "load_data", "Load data", {"dataset": "breast_cancer"}),
        ("split", "split", "Split", {"test_size": 0.3}),
        ("train", "train", "Train", {"estimator": "logistic_regression", "max_iter": 300, "C": C}),
        ("evaluate", "evaluate", "Evaluate", {"permutation_importance": False}),
    ]
    links = [
        ("load", "dataset", "split", "dataset"),
        ("split", "split", "train", "split"),
        ("train", "model", "evaluate", "model"),
        ("split", "split", "evaluate", "split"),
    ]
    p = Pipeline("Training")
    p.load_items(
        [Node(i, t, title, params, x=n * 220.0) for n, (i, t, title, params) in enumerate(stages)],
        [Link(f"l{n}", *lk) for n, lk in enumerate(links)],
    )
    return p


def _history_scores(n: int) -> list[dict[str, float]]:
    """Scores of ``n`` real logistic-regression fits, each on its own split."""
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import (
        accuracy_score,
        f1_score,
        precision_score,
        recall_score,
        roc_auc_score,
    )
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = load_breast_cancer(return_X_y=True)
    out = []
    for seed in range(n):
        Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, random_state=seed)
        model = make_pipeline(
            StandardScaler(), LogisticRegression(C=0.1 + seed % 10 / 5, max_iter=300)
        )
        model.fit(Xtr, ytr)
        pred, proba = model.predict(Xte), model.predict_proba(Xte)[:, 1]
        out.append(
            {
                "accuracy": accuracy_score(yte, pred),
                "precision": precision_score(yte, pred),
                "recall": recall_score(yte, pred),
                "f1": f1_score(yte, pred),
                "roc_auc": roc_auc_score(yte, proba),
            }
        )
    return out


def build_workspace(folder: Path):  # noqa: ANN201
    from mlops_desktop.app.projects import ProjectService
    from mlops_desktop.app.runs import RunService
    from mlops_desktop.app.workspace import Workspace
    from mlops_desktop.core.entities import MetricPoint, RunStatus

    ws = Workspace.open(str(folder / "bench.db"))
    proj = ProjectService(ws).create_project(PROJECT, template="blank")
    service = RunService(ws, workers=1)
    template = service.run(PROJECT, document=_pipeline(1.0))
    info = ws.pipelines.list(proj.id)[0]
    version = ws.pipelines.latest(info.id)
    for i, scores in enumerate(_history_scores(N_RUNS - REAL_RUNS)):
        run = ws.runs.create(
            proj.id,
            info.id,
            version.id,
            trigger="schedule" if i % 3 else "manual",
            params={"train.C": 0.1 + i % 10 / 5},
        )
        ws.runs.start(run.id)
        for stage in template.stages:
            ws.runs.save_stage(run.id, stage)
        now = time.time()
        ws.metrics.log_batch(
            run.id, [MetricPoint(k, float(v), 0, now, "evaluate") for k, v in scores.items()]
        )
        ws.runs.finish(run.id, RunStatus.SUCCEEDED)
    for k in range(REAL_RUNS - 1):
        service.run(PROJECT, document=_pipeline(0.5 + k))
    return ws


def run() -> list[dict]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from mlops_desktop.app.reports import ReportService
    from mlops_desktop.qt.reports.pdf import (
        ReportDocument,
        ensure_gui_application,
        render_images,
        write_pdf,
    )

    ensure_gui_application()
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        ws = build_workspace(folder)
        try:
            times: dict[str, list[float]] = {k: [] for k in ("build", "images", "html", "pdf")}
            for _ in range(REPEATS):
                t0 = time.perf_counter()
                data = ReportService(ws).build(PROJECT)
                t1 = time.perf_counter()
                render_images(data)
                t2 = time.perf_counter()
                ReportService(ws).write_html(data, folder / "r.html")
                t3 = time.perf_counter()
                write_pdf(data, folder / "r.pdf")
                t4 = time.perf_counter()
                for key, value in zip(times, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
                    times[key].append(value)
            runs = len(ws.runs.list(ws.projects.get(PROJECT).id))
            pages = ReportDocument(data).page_count
        finally:
            ws.close()
        med = {k: statistics.median(v) for k, v in times.items()}
        note = f"{runs} runs, {len(data.plots)} plots, median of {REPEATS}"
        for key, label in (
            ("build", "gather data"),
            ("images", "draw pipeline and plots"),
            ("html", "write HTML"),
            ("pdf", "lay out and write PDF"),
        ):
            rows.append(
                {
                    "benchmark": "report, 100 runs",
                    "metric": label,
                    "value": med[key],
                    "unit": "s",
                    "note": note,
                }
            )
        html_total = med["build"] + med["images"] + med["html"]
        pdf_total = med["build"] + med["images"] + med["pdf"]
        rows.append(
            {
                "benchmark": "report, 100 runs",
                "metric": "HTML report, total",
                "value": html_total,
                "unit": "s",
                "note": "goal < 5 s",
            }
        )
        rows.append(
            {
                "benchmark": "report, 100 runs",
                "metric": "PDF report, total",
                "value": pdf_total,
                "unit": "s",
                "note": f"goal < 5 s; {pages} pages, {(folder / 'r.pdf').stat().st_size // 1024} KB",
            }
        )
    return rows


if __name__ == "__main__":
    for row in run():
        print(f"{row['metric']:<28} {row['value']:.3f} {row['unit']}  {row['note']}")
