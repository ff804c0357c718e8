"""The Run view's output preview on real runs of the Google template: selecting a stage loads
its stored outputs off the GUI thread and shows the head of the dataset, the profile, the
metrics, the model as text, or one clear line for a stage without outputs."""

from __future__ import annotations

import threading

import pytest
from PySide6 import QtCore

from mlops_desktop.core.entities import StageStatus

pytest.importorskip("pytestqt")

Qt = QtCore.Qt


@pytest.fixture(scope="module")
def google(tmp_path_factory):
    from mlops_desktop.app.projects import ProjectService
    from mlops_desktop.app.runs import RunService
    from mlops_desktop.app.workspace import Workspace
    from mlops_desktop.core import serialization
    from mlops_desktop.core.operations import set_param

    root = tmp_path_factory.mktemp("preview")
    ws = Workspace.open(str(root / "w.db"))
    ProjectService(ws).create_project("demo", template="google")
    service = RunService(ws)
    good = service.run("demo")
    # The same pipeline reading a file that does not exist: load fails, the rest is skipped.
    proj = ws.projects.get("demo")
    info = service.pipeline_info(proj.id, None)
    graph = serialization.from_dict(ws.pipelines.latest(info.id).document, service.registry)
    load = next(n for n in graph.nodes.values() if n.type == "load_data")
    graph.apply(set_param(graph, load.id, "source", "file"))
    graph.apply(set_param(graph, load.id, "path", str(root / "nowhere.csv")))
    bad = service.run("demo", document=graph)
    yield ws, good, bad
    ws.close()


def open_view(qtbot, ws, run):  # noqa: ANN001
    """A RunView on ``run`` with the first stage's outputs shown."""
    from mlops_desktop.qt.runs.view import RunView

    view = RunView()
    qtbot.addWidget(view)
    view.resize(1440, 900)
    view.tabs.setCurrentIndex(3)
    view.show()
    qtbot.waitExposed(view)
    first = run.stages[0].node_id
    with qtbot.waitSignal(view.output_preview.outputs_shown, timeout=10000) as blocker:
        view.load(ws, run.id)
    assert blocker.args == [first]
    return view


def select(qtbot, view, run, stage_type: str):  # noqa: ANN001
    """Select the stage of ``stage_type`` in the stage table and wait for its preview."""
    row = next(i for i, s in enumerate(run.stages) if s.stage_type == stage_type)
    node_id = run.stages[row].node_id
    with qtbot.waitSignal(
        view.output_preview.outputs_shown,
        timeout=10000,
        check_params_cb=lambda shown: shown == node_id,
    ):
        view.stage_table.selectRow(row)
    return run.stages[row]


def test_stages_show_their_table_profile_metrics_and_model(qtbot, google):
    from mlops_desktop.app.runs import RunService

    ws, run, _ = google
    view = open_view(qtbot, ws, run)
    preview = view.output_preview
    load = run.stages[0]
    assert load.stage_type == "load_data" and load.title == "Ingest data"
    frame = RunService(ws).outputs(run.id, load.node_id)["dataset"].frame
    # The dataset's head: the real columns, its first rows, the shape in the caption.
    assert preview.stack.currentWidget() is preview.table_view
    assert preview.table_view.model() is preview.table_model
    assert preview.ports() == ["dataset"] and not preview.port_tabs.isVisible()
    assert preview.table_model.headers() == [str(c) for c in frame.columns]
    rows = preview.table_model.rows()
    assert len(rows) == 50
    assert rows[0] == pytest.approx(frame.iloc[0].tolist())
    assert rows[49] == pytest.approx(frame.iloc[49].tolist())
    assert f"{len(frame):,} rows × {frame.shape[1]} columns" in preview.caption_label.text()
    model = preview.table_model
    tip = model.headerData(0, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
    assert tip == f"{frame.columns[0]}: {frame.dtypes.iloc[0]}"
    assert model.data(model.index(0, 0)) == f"{frame.iloc[0, 0]:.6g}"

    # Validate has two outputs: a port selector; the profile is a per-column statistics table.
    validate = select(qtbot, view, run, "validate_data")
    assert preview.ports() == ["dataset", "profile"] and preview.port_tabs.isVisible()
    preview.select_port("profile")
    assert preview.current_preview()["kind"] == "profile"
    headers, rows = preview.table_model.headers(), preview.table_model.rows()
    assert headers[:4] == ["column", "dtype", "count", "missing"]
    assert [r[0] for r in rows] == [str(c) for c in frame.columns]
    by_column = {r[0]: dict(zip(headers, r, strict=True)) for r in rows}
    first = str(frame.columns[0])
    assert by_column[first]["max"] == pytest.approx(frame[first].max())
    assert by_column[first]["mean"] == pytest.approx(frame[first].mean())
    assert by_column[first]["count"] == len(frame)
    assert "no schema violations" in preview.caption_label.text()
    assert validate.title == "Validate data" and view.log_text.toPlainText() == validate.log

    # Evaluate: a key/value table whose accuracy is the one the metrics store holds.
    select(qtbot, view, run, "evaluate")
    assert preview.current_port() == "metrics"
    assert preview.table_model.headers() == ["metric", "value"]
    metrics = dict(preview.table_model.rows())
    assert metrics["accuracy"] == pytest.approx(ws.metrics.latest(run.id)["accuracy"])
    preview.select_port("predictions")
    assert preview.table_model.headers()[:2] == ["y_true", "y_pred"]

    # Train: the model as readable text.
    select(qtbot, view, run, "train")
    assert preview.stack.currentWidget() is preview.text_view
    text = preview.text_view.toPlainText()
    assert text.startswith("RandomForestClassifier") and "n_estimators" in text
    assert f"Features ({frame.shape[1] - 1})" in text


def test_a_failed_and_a_skipped_stage_say_why_in_the_preview_area(qtbot, google):
    ws, good, bad = google
    view = open_view(qtbot, ws, good)
    preview = view.output_preview
    assert preview.current_preview()["kind"] == "table"
    # Opening another run in the same view shows its first stage, though row 0 was selected.
    with qtbot.waitSignal(preview.outputs_shown, timeout=10000):
        view.load(ws, bad.id)
    load = bad.stages[0]
    assert load.status is StageStatus.FAILED
    assert preview.stack.currentWidget() is preview.message_label
    assert preview.message() == (f"stage '{load.title}' of run #{bad.id} has no outputs (failed)")
    assert "file not found" in view.log_text.toPlainText()  # the log still shows the error
    skipped = select(qtbot, view, bad, "evaluate")
    assert skipped.status is StageStatus.SKIPPED
    assert preview.message().endswith("has no outputs (skipped)")
    assert not preview.port_tabs.isVisible() and not preview.title_label.isVisible()
    assert QtCore.QCoreApplication.instance().activeModalWidget() is None  # never a dialog


def test_a_stale_result_is_dropped_when_the_selection_moves_on(qtbot, google):
    ws, run, _ = google
    view = open_view(qtbot, ws, run)
    preview = view.output_preview
    rows = {s.stage_type: i for i, s in enumerate(run.stages)}
    evaluate = run.stages[rows["evaluate"]].node_id
    shown: list[str] = []
    preview.outputs_shown.connect(shown.append)
    view.stage_table.selectRow(rows["train"])  # superseded before its result arrives
    with qtbot.waitSignal(
        preview.outputs_shown, timeout=10000, check_params_cb=lambda n: n == evaluate
    ):
        view.stage_table.selectRow(rows["evaluate"])
    assert preview.wait(5000)
    qtbot.wait(50)  # any late queued result would be delivered now
    assert shown == [evaluate] and preview.node_id() == evaluate
    assert preview.current_preview()["kind"] == "metrics"


def test_outputs_under_a_hidden_tab_are_read_when_the_tab_is_shown(qtbot, google):
    """A run shown on its Metrics tab reads no stage outputs (their tables would be read in
    the window's process while the run's end is drawn); opening Logs & outputs reads the
    selected stage's."""
    from mlops_desktop.qt.runs.view import RunView

    ws, run, _ = google
    view = RunView()
    qtbot.addWidget(view)
    view.resize(1440, 900)
    view.show()
    qtbot.waitExposed(view)
    shown: list[str] = []
    view.output_preview.outputs_shown.connect(shown.append)
    view.load(ws, run.id)
    qtbot.waitUntil(lambda: view.stage_table.selectionModel().hasSelection(), timeout=10000)
    qtbot.wait(300)
    assert shown == []
    assert view.output_preview.message().startswith("Loading the outputs of")
    with qtbot.waitSignal(view.output_preview.outputs_shown, timeout=10000) as blocker:
        view.tabs.setCurrentIndex(3)
    assert blocker.args == [run.stages[0].node_id]
    assert view.output_preview.ports()


def test_a_missing_artifact_is_one_line_and_loading_leaves_no_thread(qtbot, google, tmp_path):
    from mlops_desktop.qt.runs.output_preview import OutputPreview

    ws, run, _ = google
    before = {t.ident for t in threading.enumerate() if not t.daemon}
    stage = next(s for s in run.stages if s.stage_type == "split")
    path = ws.artifacts.path(stage.outputs["split"])
    moved = tmp_path / "moved"
    path.rename(moved)
    try:
        preview = OutputPreview()
        qtbot.addWidget(preview)
        preview.show()
        with qtbot.waitSignal(preview.outputs_shown, timeout=10000):
            preview.show_stage(ws, run.id, stage.node_id, stage.title)
    finally:
        moved.rename(path)
    assert preview.message().startswith(f"artifact {stage.outputs['split'][:12]} is missing")
    assert preview.wait(5000) and preview._pool.activeThreadCount() == 0
    assert {t.ident for t in threading.enumerate() if not t.daemon} == before


def test_a_deployment_is_text_and_a_profile_lists_its_violations(qtbot, google):
    from mlops_desktop.qt.runs.output_preview import OutputPreview, caption_of, in_column_order

    ws, run, _ = google
    view = open_view(qtbot, ws, run)
    select(qtbot, view, run, "deploy")
    preview = view.output_preview
    assert preview.current_preview()["kind"] == "value"
    assert preview.stack.currentWidget() is preview.text_view
    assert "environment='production'" in preview.text_view.toPlainText()
    # A profile with violations says how many and lists them under the caption.
    violations = ["column 'age' has 3 missing values (limit 0)", "'x' above its maximum"]
    profile = {
        "kind": "profile",
        "title": "Profile of people",
        "profile": {"x": {"dtype": "float64", "max": 9.5}, "age": {"dtype": "int64", "max": 7}},
        "violations": violations,
        "rows_total": 1200,
    }
    assert caption_of(profile) == "2 columns profiled over 1,200 rows · 2 violation(s)"
    widget = OutputPreview()
    qtbot.addWidget(widget)
    profile["profile"] = in_column_order(profile["profile"], ["age", "missing", "x"])
    widget._on_worker_loaded(widget._request, "check", {"profile": profile})
    assert widget.table_model.headers() == ["column", "dtype", "max"]
    assert widget.table_model.rows() == [["age", "int64", 7], ["x", "float64", 9.5]]
    assert widget.caption_label.text().splitlines()[1:] == [f"• {v}" for v in violations]
