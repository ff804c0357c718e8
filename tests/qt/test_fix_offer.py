"""After a run fails naming a missing stage, the window offers to insert it (no modal)."""

from __future__ import annotations

import random

import pytest
from PySide6.QtCore import QSettings

from mlops_desktop.core.graph import Link, Node, Pipeline
from mlops_desktop.core.operations import AddLink, AddNode
from mlops_desktop.qt.main_window import MainWindow


def _reviews_csv(path, rows: int = 16000, values: int = 3000) -> None:
    """A CSV whose text column has too many values to one-hot encode densely (about 270 MB
    for the training part), yet few enough per row that Load data keeps it as a feature."""
    rng = random.Random(0)
    lines = ["product,stars,returned"]
    for _ in range(rows):
        k = rng.randrange(values)
        lines.append(f"item {k},{rng.randint(1, 5)},{k % 2}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def window(qtbot, tmp_path):
    win = MainWindow(settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    win.open_workspace(str(tmp_path / "w.db"))
    win.service.create_project("shop", template="blank")
    csv = tmp_path / "returns.csv"
    _reviews_csv(csv)
    p = Pipeline("returns")
    for node in (
        Node(
            "load",
            "load_data",
            "Load data",
            {"source": "file", "path": str(csv), "target": "returned"},
            0,
            0,
        ),
        Node("split", "split", "Split", {}, 250, 0),
        Node("train", "train", "Train", {"estimator": "logistic_regression"}, 500, 0),
        Node("eval", "evaluate", "Evaluate", {}, 750, 0),
    ):
        p.apply(AddNode(node))
    for link in (
        Link("l1", "load", "dataset", "split", "dataset"),
        Link("l2", "split", "split", "train", "split"),
        Link("l3", "train", "model", "eval", "model"),
        Link("l4", "split", "split", "eval", "split"),
    ):
        p.apply(AddLink(link))
    win.service.create_pipeline("shop", "returns", p)
    win.browser.refresh()
    win.open_pipeline("shop", "returns")
    yield win
    win.runner.wait(60)
    win.close()


def test_a_failure_naming_a_stage_offers_to_insert_it(
    qtbot, window: MainWindow, run_panel_shows
) -> None:
    offer = window.runs.fix_offer
    assert not offer.button.isVisible()
    with qtbot.waitSignal(window.runner.finished, timeout=120000) as blocker:
        window.acts.run.trigger()
    assert blocker.args[1] == "failed"
    assert "add a Feature engineering stage before this one" in blocker.args[2]
    # The offer: a button in the status bar and a line in Messages; no dialog.
    assert offer.button.isVisible() and offer.action.isEnabled()
    assert offer.button.text() == "Insert Feature engineering before Train"
    assert "Fix: Insert Feature engineering before Train" in window.log.toPlainText()
    assert window.statusBar().isAncestorOf(offer.button)
    # ...and in the Run panel's header, which shows the failed run (read once ended).
    view = run_panel_shows(window, blocker.args[0], "failed")
    ((attached, in_header),) = offer._views
    assert attached is view
    assert in_header.isVisible() and in_header.text() == offer.button.text()
    assert view.header.wordWrap()  # the long failure message wraps in the header
    # Diagnostics says why it is empty: the pipeline has an Evaluate stage, skipped.
    assert "'Evaluate' was skipped" in view.diagnostics.summary.text()

    offer.button.click()
    pipeline = window.current_pipeline()
    fe = next(n for n in pipeline.nodes.values() if n.type == "feature_engineering")
    assert fe.params["one_hot"] is False  # the setting the message named
    feeds = {(lk.source, lk.target) for lk in pipeline.links.values()}
    assert ("split", fe.id) in feeds and (fe.id, "train") in feeds
    assert ("split", "train") not in feeds and ("split", "eval") in feeds
    assert pipeline.nodes["train"].x > fe.x > pipeline.nodes["split"].x  # room was made
    assert not offer.button.isVisible() and not in_header.isVisible()  # used up
    assert "Inserted Feature engineering before Train (one_hot=False)" in window.log.toPlainText()

    with qtbot.waitSignal(window.runner.finished, timeout=120000) as blocker:
        window.acts.run.trigger()
    assert blocker.args[1] == "succeeded", blocker.args[2]
    assert not offer.button.isVisible()

    window.acts.undo.trigger()  # one step takes the insertion (and the room made) back
    assert set(pipeline.nodes) == {"load", "split", "train", "eval"}
    feeds = {(lk.source, lk.target) for lk in pipeline.links.values()}
    assert ("split", "train") in feeds and pipeline.nodes["train"].x == 500


def test_a_failure_naming_no_stage_offers_nothing(qtbot, window: MainWindow) -> None:
    pipeline = window.current_pipeline()
    from mlops_desktop.core.operations import SetParams

    pipeline.apply(SetParams("train", {**pipeline.nodes["train"].params, "estimator": "ridge"}))
    with qtbot.waitSignal(window.runner.finished, timeout=120000) as blocker:
        window.acts.run.trigger()
    assert blocker.args[1] == "failed" and "'ridge' is a regressor" in blocker.args[2]
    assert not window.runs.fix_offer.button.isVisible()


def test_the_offer_goes_when_the_failed_pipeline_closes(qtbot, window: MainWindow) -> None:
    with qtbot.waitSignal(window.runner.finished, timeout=120000):
        window.acts.run.trigger()
    offer = window.runs.fix_offer
    assert offer.button.isVisible()
    window.documents.close_current()
    assert not offer.button.isVisible() and not offer.action.isEnabled()
