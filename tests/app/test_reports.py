"""ReportService on a real workspace: a project whose training pipeline really ran with
scikit-learn; sections filled from what exists, left out with a note otherwise."""

from __future__ import annotations

import importlib.util
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from mlops_desktop.app.reports import ReportService
from mlops_desktop.core.errors import MlopsError, NotFoundError


def _sample():
    path = Path(__file__).parents[1] / "reports" / "sample_report.py"
    spec = importlib.util.spec_from_file_location("sample_report", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("sample_report", module)
    spec.loader.exec_module(module)
    return module


sample = _sample()
PROJECT = "<script>alert(1)</script> churn"
STAGE = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):  # noqa: ANN001
    ws = sample.workspace_with_runs(
        str(tmp_path_factory.mktemp("ws") / "w.db"), project=PROJECT, stage_title=STAGE, runs=2
    )
    yield ws
    ws.close()


def test_sections_come_from_the_workspace(workspace):
    data = ReportService(workspace).build(PROJECT)
    runs = workspace.runs.list(workspace.projects.get(PROJECT).id)
    assert data.project.name == PROJECT
    assert data.project.run_count == 2
    assert [s.title for s in data.pipeline.stages] == ["Load data", "Split", STAGE, "Evaluate"]
    assert data.pipeline.lens == "google"  # a blank project gets the default lens
    assert data.pipeline.picture is not None and data.pipeline.picture.kind == "pipeline"
    latest = data.latest_run
    assert latest.id == runs[0].id and latest.status == "succeeded"
    stored = workspace.metrics.latest(latest.id)
    assert latest.metrics["accuracy"] == pytest.approx(stored["accuracy"])
    assert 0.8 < latest.metrics["accuracy"] <= 1.0
    assert [s.title for s in latest.stages][0] == "Load data"
    assert [r.id for r in data.recent_runs.runs] == [r.id for r in runs]
    assert "accuracy" in data.recent_runs.metric_keys


def test_plots_are_requested_with_their_data(workspace):
    data = ReportService(workspace).build(PROJECT)
    kinds = [f.kind for f in data.plots]
    assert "confusion_matrix" in kinds and "roc" in kinds and "trend" in kinds
    cm = next(f for f in data.plots if f.kind == "confusion_matrix").data.confusion
    assert cm.shape == (2, 2) and cm.sum() > 100  # the breast-cancer test part
    trend = next(f for f in data.plots if f.kind == "trend").data
    assert len(trend.values) == 2
    assert all(not f.has_image for f in data.plots)  # drawn later, by Qt


def test_an_older_run_and_a_lens_can_be_chosen(workspace):
    first = workspace.runs.list(workspace.projects.get(PROJECT).id)[-1]
    data = ReportService(workspace).build(PROJECT, run_id=first.id, lens="aws")
    assert data.latest_run.id == first.id
    assert data.pipeline.lens_title.startswith("AWS")


def test_bad_requests_are_clear_errors(workspace):
    service = ReportService(workspace)
    with pytest.raises(NotFoundError, match="no project"):
        service.build("nope")
    with pytest.raises(NotFoundError, match="has no run with id 999"):
        service.build(PROJECT, run_id=999)
    with pytest.raises(MlopsError, match="unknown lens"):
        service.build(PROJECT, lens="ibm")


def test_a_broken_capability_only_removes_its_section(workspace):
    class Broken:
        def assess(self, project, save=True):  # noqa: ANN001, ANN202
            raise RuntimeError("database went away")

    data = ReportService(workspace, assessment=Broken()).build(PROJECT)
    assert data.maturity is None
    notes = {o.section: o.reason for o in data.omitted}
    assert "database went away" in notes["Maturity assessment"]
    assert data.latest_run is not None and data.pipeline is not None


def test_maturity_assessment_is_included_and_not_stored(workspace):
    pytest.importorskip("mlops_desktop.app.assessment")
    from mlops_desktop.app.assessment import AssessmentService

    before = len(AssessmentService(workspace).history(PROJECT))
    data = ReportService(workspace).build(PROJECT)
    assert data.maturity is not None
    assert [lvl.model_id for lvl in data.maturity.levels][:3] == ["google", "azure", "aws"]
    assert len(AssessmentService(workspace).history(PROJECT)) == before


def test_a_project_without_runs_still_reports(workspace):
    from mlops_desktop.app.projects import ProjectService

    ProjectService(workspace).create_project("Fresh", template="blank")
    data = ReportService(workspace).build("Fresh")
    notes = {o.section: o.reason for o in data.omitted}
    assert data.latest_run is None and "not been run" in notes["Runs"]
    assert data.plots == []


def test_html_escapes_every_user_string(workspace, tmp_path):
    service = ReportService(workspace)
    path = service.write_html(service.build(PROJECT), tmp_path / "r.html")
    tags: list[str] = []
    text: list[str] = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):  # noqa: ANN001
            tags.append(tag)
            assert not [a for a, _ in attrs if a.startswith("on")]
            if tag == "img":  # only the radar, drawn as SVG without Qt
                assert dict(attrs)["src"].startswith("data:image/svg+xml;base64,")

        def handle_data(self, data):  # noqa: ANN001
            text.append(data)

    Collect().feed(path.read_text(encoding="utf-8"))
    assert "script" not in tags
    joined = "".join(text)
    assert PROJECT in joined and STAGE in joined


def test_triggers_and_their_firings_are_reported(workspace, tmp_path):
    from mlops_desktop.app.projects import ProjectService
    from mlops_desktop.app.triggers import TriggerService
    from mlops_desktop.core import operations as ops
    from mlops_desktop.core.graph import Pipeline

    projects = ProjectService(workspace)
    projects.create_project("Automated", template="blank")
    info, _ = projects.load_pipeline("Automated")
    graph = Pipeline("main")
    graph.apply(ops.add_stage(graph, "load_data", params={"dataset": "iris"}, node_id="load"))
    projects.save_pipeline(info.id, graph)
    triggers = TriggerService(workspace)
    inbox = tmp_path / "<b onclick=x>inbox"
    inbox.mkdir()
    triggers.add_trigger("Automated", None, "schedule", {"cron": "0 2 * * *"})
    triggers.add_trigger("Automated", None, "data_arrival", {"folder": str(inbox)})
    event = triggers.fire("Automated")
    assert event.outcome == "started"
    service = ReportService(workspace)
    data = service.build("Automated")
    auto = data.automation
    assert [(t.kind, t.enabled) for t in auto.triggers] == [
        ("Schedule", True),
        ("New data", True),
    ]
    assert auto.triggers[0].fires_on.startswith("every day at 02:00")
    number = workspace.runs.get(event.run_id).number  # the report shows the project's #n
    assert [(f.kind, f.outcome, f.run_number) for f in auto.firings] == [
        ("Manual", "started", number)
    ]
    assert ("automation", "Triggers") in data.sections()
    html = service.write_html(data, tmp_path / "a.html").read_text(encoding="utf-8")
    assert "every day at 02:00" in html and "&lt;b onclick=x&gt;inbox" in html
    assert "<b onclick" not in html
    # A project whose pipelines run by hand only says so instead.
    projects.create_project("Manual only", template="blank")
    notes = {o.section: o.reason for o in service.build("Manual only").omitted}
    assert notes["Triggers"] == "the pipelines run by hand only"
