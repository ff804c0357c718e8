"""Take the user guide's screenshots of imported cloud pipelines, offscreen, at 1440×900.

    QT_QPA_PLATFORM=offscreen python docs/make_cloud_screenshots.py [--out docs/images]
        [--size 1366x768]

Opens a fresh workspace in the real :class:`MainWindow`, imports the SageMaker, Kubeflow /
Vertex AI and Azure ML definitions of ``tests/fixtures/cloud`` through the window's import
path (as File → Import cloud pipeline… does), shows each through its vendor's lens with a step
selected in the inspector, and a 40-step SageMaker definition (from the import benchmark's
generator) to show the layout of a larger pipeline, and the Vertex AI pipeline with its
condition group collapsed (its toggle clicked), and the local copy of the SageMaker pipeline.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication, QPushButton  # noqa: E402

from mlops_desktop.qt import cloud_import_dialog  # noqa: E402
from mlops_desktop.qt.application import create_application  # noqa: E402
from mlops_desktop.qt.main_window import MainWindow  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "cloud"
SHOTS = (
    ("cloud-sagemaker", FIXTURES / "sagemaker" / "abalone.json", "aws", "AbaloneMSECond"),
    ("cloud-vertex", FIXTURES / "kfp" / "nested.yaml", "google", "train"),
    ("cloud-vertex-groups", FIXTURES / "kfp" / "nested.yaml", None, "deploy-endpoint"),
    ("cloud-azureml", FIXTURES / "azureml" / "pipeline.yml", "azure", "train_job"),
)


COLLAPSE = "exit-handler-1/condition-2"


def settle(seconds: float = 0.4) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        QApplication.processEvents()
        time.sleep(0.02)


def whole_picture(editor: object) -> None:
    """Zoom the canvas so the whole pipeline shows (the app itself stops at a readable zoom)."""
    view = editor.view  # type: ignore[attr-defined]
    rect = view.pipeline_scene.content_rect().adjusted(-30, -30, 30, 30)
    port = view.viewport().rect()
    view.set_zoom(min(1.0, port.width() / rect.width(), port.height() / rect.height()))
    view.centerOn(rect.center())


def shoot(
    win: MainWindow,
    path: Path,
    lens: str | None,
    select: str,
    out: Path,
    name: str,
    collapse: str = "",
) -> None:
    names = {p.name for p in win.service.list_pipelines("Cloud pipelines")}
    opened = win.current_pipeline()
    if opened is None or opened.meta.get("external", {}).get("source") != path.name:
        if not cloud_import_dialog.import_cloud_file(win, str(path)) and path.stem not in names:
            raise SystemExit(f"import of {path} failed")
    for button in win.findChildren(QPushButton):
        if button.text() == "Got it" and button.isVisible():
            button.click()
    win.set_lens(lens)
    editor = win.current_editor()
    pipeline = win.current_pipeline()
    if collapse:
        editor.set_group_collapsed(collapse, True)
    node = next((n for n in pipeline.nodes.values() if n.title == select), None)
    if node is not None:
        editor.select_nodes([node.id])
    settle()
    editor.fit_view()
    settle()
    whole_picture(editor)
    settle()
    target = out / f"{name}.png"
    win.grab().save(str(target))
    print(f"  {target}")


def shoot_local_copy(win: MainWindow, path: Path, out: Path) -> None:
    """The local copy of an imported pipeline, made through File → Make a local copy…."""
    from mlops_desktop.qt.imports import cloud_local_copy

    opened = win.current_pipeline()
    if opened is None or opened.meta.get("external", {}).get("source") != path.name:
        cloud_import_dialog.import_cloud_file(win, str(path))
    if not cloud_local_copy.make_local_copy(win):
        raise SystemExit(f"no local copy of {path}")
    win.set_lens("aws")
    editor = win.current_editor()
    settle()
    editor.fit_view()
    settle()
    whole_picture(editor)
    settle()
    target = out / "cloud-local-copy.png"
    win.grab().save(str(target))
    print(f"  {target}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default=str(ROOT / "docs" / "images"))
    parser.add_argument("--size", default="1440x900", help="window size, WIDTHxHEIGHT")
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.lower().split("x"))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(ROOT))
    from bench.bench_cloud_import import sagemaker_definition

    app = create_application(["mlops-desktop"])
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        settings = QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat)
        win = MainWindow(settings=settings)
        win.resize(width, height)
        win.show()
        if not win.open_workspace(str(tmp / "workspace.db")):
            raise SystemExit("cannot open the workspace")
        win.browser.create_project("Cloud pipelines", template="blank")
        settle()
        for name, path, lens, select in SHOTS:
            shoot(win, path, lens, select, out, name)
        shoot_local_copy(win, FIXTURES / "sagemaker" / "abalone.json", out)
        nested = FIXTURES / "kfp" / "nested.yaml"
        shoot(win, nested, "google", "train", out, "cloud-vertex-collapsed", COLLAPSE)
        big = tmp / "retail-forecast.json"
        big.write_text(json.dumps(sagemaker_definition(40)))
        for dock in (win.projects_dock, win.palette_dock):
            dock.hide()
        shoot(win, big, None, "B1Train", out, "cloud-40-steps")
        win.close()
    app.processEvents()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
