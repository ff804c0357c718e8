"""Take the pictures of the model page (docs/models-and-columns.md) and of the fix the window
offers after a failed run, from the real main window, offscreen.

    QT_QPA_PLATFORM=offscreen python docs/make_model_screenshots.py [--out docs/images]

Builds Load data → Split (with a validation part) → Train (random forest, max_f1
threshold, isotonic calibration) → Evaluate on a generated churn-like CSV and saves:
``column-roles.png`` (Load data's Column roles… dialog), ``train-inspector.png`` (the Train
inspector at its decision and calibration parameters), ``calibration-diagnostics.png`` (the
Run panel's Diagnostics after a run) and ``fix-offer.png`` (a pipeline on a CSV whose text
column is too wide to one-hot encode: the failed run and the button that inserts Feature
engineering).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["MLOPS_DESKTOP_NO_SAMPLE"] = "1"

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication, QScrollArea, QWidget  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_screenshots import float_dock, run_and_wait, save, settle  # noqa: E402

from mlops_desktop.core.graph import Pipeline  # noqa: E402
from mlops_desktop.core.operations import add_stage, connect  # noqa: E402
from mlops_desktop.core.registry import default_registry  # noqa: E402
from mlops_desktop.qt.application import create_application  # noqa: E402
from mlops_desktop.qt.main_window import MainWindow  # noqa: E402
from mlops_desktop.qt.theme import ThemeManager  # noqa: E402

WINDOW_SIZE = (1440, 900)


def churn(path: Path, n: int = 2000) -> None:
    """Customers with an id (ignored), a constant column (ignored), numbers with gaps, a plan
    (text) and whether they churned."""
    rng = np.random.default_rng(7)
    tenure, plan = rng.normal(size=n), rng.choice(["basic", "plus", "pro"], n)
    usage = np.where(rng.random(n) < 0.1, np.nan, rng.normal(size=n))
    signal = -1.3 * tenure + 0.8 * (plan == "basic") + 0.5 * np.nan_to_num(usage)
    label = np.where(signal + rng.normal(size=n) > 1.2, "churn", "stay")
    frame = pd.DataFrame(
        {
            "customer_id": [f"C{100000 + i}" for i in range(n)],
            "tenure": tenure,
            "plan": plan,
            "usage": usage,
            "country": "NL",
            "churned": label,
        }
    )
    frame.to_csv(path, index=False)


def returns(path: Path, rows: int = 16000, values: int = 3000) -> None:
    """Orders whose product column has thousands of values (too wide to one-hot encode)."""
    rng = np.random.default_rng(3)
    product = rng.integers(0, values, rows)
    frame = pd.DataFrame(
        {
            "product": [f"item {k}" for k in product],
            "stars": rng.integers(1, 6, rows),
            "returned": product % 2,
        }
    )
    frame.to_csv(path, index=False)


def four_stages(
    name: str, csv: Path, target: str, split: dict, train: dict, evaluate: dict | None = None
) -> Pipeline:
    p = Pipeline(name, default_registry())
    for i, (node_id, stage_type, params) in enumerate(
        [
            ("load", "load_data", {"source": "file", "path": str(csv), "target": target}),
            ("split", "split", split),
            ("train", "train", train),
            ("eval", "evaluate", evaluate or {}),
        ]
    ):
        p.apply(add_stage(p, stage_type, 40 + 250 * i, 120, params=params, node_id=node_id))
    for link in [
        ("load", "dataset", "split", "dataset"),
        ("split", "split", "train", "split"),
        ("split", "split", "eval", "split"),
        ("train", "model", "eval", "model"),
    ]:
        p.apply(connect(*link))
    return p


def scroll_to(inspector: QWidget, name: str) -> None:
    """Scroll the inspector so the parameter ``name`` is near the top."""
    row = inspector.rows.get(name)
    area = inspector.findChild(QScrollArea)
    if row is None or area is None:
        return
    area.ensureWidgetVisible(row.editor, 0, 40)
    top = row.editor.mapTo(area.widget(), row.editor.rect().topLeft()).y()
    area.verticalScrollBar().setValue(max(0, top - 60))
    settle()


def fail_and_wait(win: MainWindow, timeout: float = 180.0) -> None:
    done: list[str] = []
    win.runner.finished.connect(lambda _rid, status, _msg: done.append(status))
    win.run_pipeline()
    end = time.monotonic() + timeout
    while not done and time.monotonic() < end:
        QApplication.processEvents()
        time.sleep(0.02)
    if done[:1] != ["failed"]:
        raise SystemExit(f"the run ended {done}, not failed")
    settle(0.5)


def take(out: Path, work: Path) -> None:
    app = create_application()
    settings = QSettings(str(work / "settings.ini"), QSettings.Format.IniFormat)
    ThemeManager(app, "light")
    win = MainWindow(settings=settings)
    win.resize(*WINDOW_SIZE)
    win.show()
    if not win.open_workspace(str(work / "workspace.db"), interactive=False):
        raise SystemExit("could not open the workspace")
    csv = work / "churn.csv"
    churn(csv)
    train = {"estimator": "random_forest", "n_estimators": 100, "threshold": "max_f1"}
    train |= {"calibration": "isotonic"}
    importance = {"permutation_importance": True, "importance_repeats": 3}
    pipeline = four_stages("model", csv, "churned", {"validation_size": 0.2}, train, importance)
    win.service.create_project("churn", template="blank")
    win.service.create_pipeline("churn", "model", pipeline)
    win.browser.refresh()
    win.open_pipeline("churn", "model")
    editor = win.current_editor()
    editor.fit_view()

    editor.select_nodes(["load"])
    settle()
    win.inspector.show_column_roles()
    dialog = win.inspector.roles_dialog
    dialog.resize(820, 330)
    save(dialog, out, "column-roles")
    dialog.reject()

    editor.select_nodes(["train"])
    float_dock(win.inspector_dock, (380, 520))
    scroll_to(win.inspector, "positive_class")
    save(win.inspector_dock, out, "train-inspector")
    win.inspector_dock.setFloating(False)

    run_id = run_and_wait(win)
    win.open_run(run_id)
    float_dock(win.run_view_dock, (1300, 900))
    view = win.run_view
    view.tabs.setCurrentWidget(view.diagnostics)
    settle(1.0)
    save(view, out, "calibration-diagnostics")  # the whole panel, as far as it scrolls
    win.run_view_dock.setFloating(False)
    win.run_view_dock.hide()

    wide = work / "returns.csv"
    returns(wide)
    failing = four_stages("returns", wide, "returned", {}, {"estimator": "logistic_regression"})
    win.service.create_project("shop", template="blank")
    win.service.create_pipeline("shop", "returns", failing)
    win.browser.refresh()
    win.open_pipeline("shop", "returns")
    win.current_editor().fit_view()
    fail_and_wait(win)
    save(win, out, "fix-offer")  # the Run panel follows the run: the offer in its header
    win.runner.wait(30)
    win.close()
    settle()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_out = Path(__file__).resolve().parent / "images"
    parser.add_argument("--out", type=Path, default=default_out, help="folder for the PNGs")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        os.environ["XDG_CONFIG_HOME"] = str(work / "config")
        os.environ["XDG_DATA_HOME"] = str(work / "data")
        print(f"screenshots -> {args.out}")
        take(args.out, work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
