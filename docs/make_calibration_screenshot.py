"""Render the Diagnostics view of a run whose Train chose a decision threshold on the
validation part and calibrated its probabilities (docs/images/calibration-diagnostics.png).

    QT_QPA_PLATFORM=offscreen python docs/make_calibration_screenshot.py [--out docs/images]

Runs Load data → Split (with a validation part) → Train (random forest, max_f1 threshold,
isotonic calibration) → Evaluate on a generated churn-like CSV through the app's run
service, then draws that run's diagnostics in the real DiagnosticsView.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from mlops_desktop.app import plot_data  # noqa: E402
from mlops_desktop.app.runs import RunService  # noqa: E402
from mlops_desktop.app.workspace import Workspace  # noqa: E402
from mlops_desktop.core import serialization  # noqa: E402
from mlops_desktop.core.graph import Pipeline  # noqa: E402
from mlops_desktop.core.operations import add_stage, connect  # noqa: E402
from mlops_desktop.core.registry import default_registry  # noqa: E402


def churn(path: Path, n: int = 2000) -> None:
    rng = np.random.default_rng(7)
    tenure, plan = rng.normal(size=n), rng.choice(["basic", "plus", "pro"], n)
    usage = np.where(rng.random(n) < 0.1, np.nan, rng.normal(size=n))
    signal = -1.3 * tenure + 0.8 * (plan == "basic") + 0.5 * np.nan_to_num(usage)
    label = np.where(signal + rng.normal(size=n) > 1.2, "churn", "stay")
    frame = pd.DataFrame({"tenure": tenure, "plan": plan, "usage": usage, "churned": label})
    frame.to_csv(path, index=False)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=str(Path(__file__).parent / "images"))
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    from mlops_desktop.qt.plots.diagnostics import DiagnosticsView

    with tempfile.TemporaryDirectory() as work:
        csv = Path(work) / "churn.csv"
        churn(csv)
        p = Pipeline("main", default_registry())
        train = {"estimator": "random_forest", "n_estimators": 100, "threshold": "max_f1"}
        train |= {"calibration": "isotonic"}
        for node_id, stage_type, params in [
            ("load", "load_data", {"source": "file", "path": str(csv), "target": "churned"}),
            ("split", "split", {"validation_size": 0.2}),
            ("train", "train", train),
            ("eval", "evaluate", {"permutation_importance": True, "importance_repeats": 3}),
        ]:
            p.apply(add_stage(p, stage_type, params=params, node_id=node_id))
        for link in [
            ("load", "dataset", "split", "dataset"),
            ("split", "split", "train", "split"),
            ("split", "split", "eval", "split"),
            ("train", "model", "eval", "model"),
        ]:
            p.apply(connect(*link))
        with Workspace.open(str(Path(work) / "w.db")) as ws:
            project = ws.projects.create("churn")
            ws.pipelines.create(project.id, "main", serialization.to_dict(p))
            run = RunService(ws).run("churn", executor="sync")
            diag = plot_data.diagnostics(ws, run.id)
    view = DiagnosticsView()
    view.resize(1300, 760)
    view.set_diagnostics(diag)
    view.show()
    for _ in range(20):
        app.processEvents()
    path = Path(args.out) / "calibration-diagnostics.png"
    view.grab().save(str(path))
    view.close()
    print(path)


if __name__ == "__main__":
    main()
