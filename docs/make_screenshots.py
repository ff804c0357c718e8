"""Take the user guide's screenshots from the real app, offscreen.

    QT_QPA_PLATFORM=offscreen python docs/make_screenshots.py [--out docs/images]

Opens a fresh workspace in the real :class:`MainWindow` (the first-run sample, a project
from the Google template), runs it twice through the window's run controller (the app's run
service in worker threads; the second run with another estimator, so there is something to
compare), and saves PNGs of the main views. The report's first page comes from the
``mlops-desktop report`` command and ``pdftoppm`` (poppler-utils), when it is installed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings, Qt  # noqa: E402
from PySide6.QtWidgets import (  # noqa: E402
    QApplication,
    QDockWidget,
    QTabWidget,
    QTreeWidgetItemIterator,
    QWidget,
)

from mlops_desktop.qt.application import create_application  # noqa: E402
from mlops_desktop.qt.main_window import MainWindow  # noqa: E402
from mlops_desktop.qt.theme import ThemeManager  # noqa: E402

WINDOW_SIZE = (1440, 900)
SAMPLE = "Sample: breast cancer"  # the first-run sample (Google template)


def settle(seconds: float = 0.3) -> None:
    """Let Qt lay out and paint (and queued signals arrive) for a moment."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        QApplication.processEvents()
        time.sleep(0.02)


def save(widget: QWidget, out: Path, name: str) -> Path:
    settle()
    path = out / f"{name}.png"
    widget.grab().save(str(path))
    print(f"  {path}")
    return path


def run_and_wait(win: MainWindow, timeout: float = 180.0) -> int:
    """Run the open pipeline through the window; wait for the run to end."""
    done: list[str] = []
    ids: list[int] = []
    win.runner.finished.connect(lambda rid, status, _msg: (ids.append(rid), done.append(status)))
    if not win.run_pipeline():
        raise SystemExit("the sample pipeline did not start: " + win.log.toPlainText()[-500:])
    end = time.monotonic() + timeout
    while not done and time.monotonic() < end:
        QApplication.processEvents()
        time.sleep(0.02)
    if done[:1] != ["succeeded"]:
        raise SystemExit(f"run ended {done}: " + win.log.toPlainText()[-800:])
    run_id = ids[0]
    settle(0.5)
    return run_id


def bottom_panel(win: MainWindow, dock: QDockWidget, height: int = 430) -> None:
    """Raise a bottom dock and give the bottom area room for it."""
    dock.show()
    dock.raise_()
    win.resizeDocks([dock], [height], Qt.Orientation.Vertical)
    settle()


def float_dock(dock: QDockWidget, size: tuple[int, int] = (1300, 820)) -> None:
    """Float a dock at a size that shows its whole content."""
    dock.show()
    dock.setFloating(True)
    dock.resize(*size)
    dock.raise_()
    settle(0.8)


def series_keys(win: MainWindow, run_id: int) -> list[str]:
    """Metrics of a run logged at more than one step (the ones worth a line plot)."""
    from mlops_desktop.app.plot_data import is_series_key

    metrics = win.workspace.metrics
    keys = [k for k in metrics.keys(run_id) if is_series_key(k)]
    return [k for k in keys if len(metrics.history(run_id, k)[0]) > 1]


def tick_metrics(view: QWidget, keys: list[str]) -> None:
    for i in range(view.key_list.count()):
        item = view.key_list.item(i)
        if item.data(Qt.ItemDataRole.UserRole) in keys:
            item.setCheckState(Qt.CheckState.Checked)
    settle(0.5)


def select_first_criterion(tab: QWidget) -> None:
    """Show the evidence of the tab's first met criterion (a model tab only)."""
    tree = getattr(tab, "criteria", None)
    if tree is None:
        return
    it = QTreeWidgetItemIterator(tree)
    while it.value() is not None:
        item = it.value()
        if item.parent() is not None and "met" in item.text(1) and "not" not in item.text(1):
            tree.setCurrentItem(item)
            break
        it += 1
    settle(0.3)


def change_estimator(win: MainWindow) -> None:
    """Second run: another estimator in the Train stage (an edit through the undo stack)."""
    from mlops_desktop.core.operations import SetParams

    pipeline = win.current_pipeline()
    train = next(n for n in pipeline.nodes.values() if n.type == "train")
    estimator = "logistic_regression"
    if train.params.get("estimator") == estimator:
        estimator = "random_forest"
    pipeline.apply(SetParams(train.id, {**train.params, "estimator": estimator}))
    settle()


def report_page(workspace: str, out: Path, work: Path) -> None:
    if shutil.which("pdftoppm") is None:
        print("  (pdftoppm missing: no report picture)")
        return
    pdf = work / "report.pdf"
    cmd = [sys.executable, "-m", "mlops_desktop", "--workspace", workspace, "report", SAMPLE]
    subprocess.run([*cmd, "-o", str(pdf), "--quiet"], check=True)
    target = out / "report-page1"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", "-singlefile", str(pdf), target],
        check=True,
    )
    print(f"  {target}.png")


def take(out: Path, work: Path, size: tuple[int, int] = WINDOW_SIZE) -> None:
    app = create_application()
    settings = QSettings(str(work / "settings.ini"), QSettings.Format.IniFormat)
    theme = ThemeManager(app, "light")
    win = MainWindow(settings=settings, theme=theme)
    win.resize(*size)
    win.show()
    workspace = str(work / "workspace.db")
    if not win.open_workspace(workspace, interactive=False):
        raise SystemExit("could not open the workspace")
    win.open_pipeline(SAMPLE)
    win.set_lens("google")
    save(win, out, "first-run")  # the sample and its "start here" banner

    win.start_here.hide()
    run_and_wait(win)
    win.current_editor().fit_view()
    save(win, out, "main-window")
    for lens in ("aws", "google", "azure", None):
        win.set_lens(lens)
        save(win.current_editor(), out, f"lens-{lens or 'none'}")
    win.set_lens("google")

    bottom_panel(win, win.map_dock)
    save(win.map_dock, out, "lifecycle-map")
    bottom_panel(win, win.crosswalk_dock)
    save(win.crosswalk_dock, out, "crosswalk")

    change_estimator(win)
    second = run_and_wait(win)
    bottom_panel(win, win.runs_dock, 300)
    save(win.runs_dock, out, "runs-panel")
    bottom_panel(win, win.triggers_dock, 320)
    pipeline = win.workspace.pipelines.list(win.workspace.projects.get(SAMPLE).id)[0].name
    win.triggers_panel.add_trigger(pipeline, "schedule", {"cron": "0 2 * * 1"})
    save(win.triggers_dock, out, "triggers")
    bottom_panel(win, win.models_dock, 320)
    save(win.models_dock, out, "models-panel")
    bottom_panel(win, win.trends_dock, 360)
    settle(1.0)  # the trends are read in the background
    save(win.trends_dock, out, "trends")

    win.open_run(second)
    float_dock(win.run_view_dock)
    view = win.run_view
    lines = series_keys(win, second)
    if lines:  # the sample logs single values only: nothing to draw as a line
        tick_metrics(view, lines[:3])
        save(win.run_view_dock, out, "run-metrics")
    view.tabs.setCurrentWidget(view.diagnostics)
    settle(1.0)
    save(win.run_view_dock, out, "run-diagnostics")
    win.run_view_dock.setFloating(False)

    from mlops_desktop.qt.plots.compare import RunComparisonView

    compare = RunComparisonView()
    compare.resize(1100, 520)
    runs = win.workspace.runs.list(win.workspace.projects.get(SAMPLE).id)
    compare.load(win.workspace, [r.id for r in runs])
    compare.show()
    save(compare, out, "comparison")
    compare.tabs.setCurrentWidget(compare.params)
    changed = compare.params.param_combo.findText("Train.estimator")
    if changed >= 0:  # the parameter the second run changed
        compare.params.param_combo.setCurrentIndex(changed)
    save(compare, out, "comparison-params")
    if lines:
        compare.series_key.setCurrentText(lines[0])
        compare.tabs.setCurrentWidget(compare.series)
        save(compare, out, "comparison-series")
    compare.close()

    for dock in win.bottom_docks():  # the panel opens as it does for the user
        dock.hide()
    win.show_dock(win.maturity_dock)
    settle(1.5)
    save(win, out, "main-window-maturity")
    float_dock(win.maturity_dock, (1300, 860))
    save(win.maturity_dock, out, "maturity")
    tabs = win.maturity.findChild(QTabWidget)
    if tabs is not None:
        for index in range(tabs.count()):
            name = tabs.tabText(index).lower().replace(" ", "-")
            if name in ("google", "ml-test-score", "questionnaire"):
                tabs.setCurrentIndex(index)
                select_first_criterion(tabs.widget(index))
                save(win.maturity_dock, out, f"maturity-{name}")
    win.maturity_dock.setFloating(False)

    win.runner.wait(30)
    win.close()
    settle()
    report_page(workspace, out, work)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_out = Path(__file__).resolve().parent / "images"
    parser.add_argument("--out", type=Path, default=default_out, help="folder for the PNGs")
    parser.add_argument(
        "--size", default="x".join(map(str, WINDOW_SIZE)), help="window size, e.g. 1366x768"
    )
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.lower().split("x"))
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        # A first run on a fresh machine: no settings, no data, the sample project offered.
        os.environ.pop("MLOPS_DESKTOP_NO_SAMPLE", None)
        os.environ["XDG_CONFIG_HOME"] = str(work / "config")
        os.environ["XDG_DATA_HOME"] = str(work / "data")
        print(f"screenshots -> {args.out}")
        take(args.out, work, (width, height))
    return 0


if __name__ == "__main__":
    sys.exit(main())
