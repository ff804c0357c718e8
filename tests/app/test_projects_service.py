"""ProjectService: templates, loading and saving pipelines, import and export files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlops_desktop.app.projects import ProjectService
from mlops_desktop.app.templates import list_templates, load_template, template_documents
from mlops_desktop.app.workspace import Workspace
from mlops_desktop.core.errors import ConflictError, FormatError, NotFoundError
from mlops_desktop.core.operations import add_stage, connect
from mlops_desktop.core.serialization import to_dict


@pytest.fixture
def service(tmp_path: Path):
    ws = Workspace.open(tmp_path / "w.db")
    yield ProjectService(ws)
    ws.close()


def test_templates_list_blank_first_with_titles() -> None:
    templates = list_templates()
    assert templates[0].name == "blank" and templates[0].title == "Blank"
    assert all(t.description for t in templates)
    (blank,) = load_template("blank")
    assert blank.name == "main" and not blank.nodes
    assert "title" not in template_documents("blank")[0]
    with pytest.raises(NotFoundError, match="available: .*blank"):
        load_template("nope")


def test_create_project_from_blank(service: ProjectService) -> None:
    project = service.create_project("demo", description="first")
    assert (project.template, project.description) == ("blank", "first")
    info, pipeline = service.load_pipeline("demo")
    assert info.name == "main" and info.latest_version == 1 and not pipeline.nodes


@pytest.mark.parametrize("template", [t.name for t in list_templates() if t.name != "blank"])
def test_create_project_from_each_vendor_template(service: ProjectService, template) -> None:
    service.create_project(template, template=template)
    expected = load_template(template)
    infos = service.list_pipelines(template)
    assert len(infos) == len(expected)
    _, pipeline = service.load_pipeline(template, infos[0].name)
    assert sorted(pipeline.nodes) == sorted(expected[0].nodes)
    assert len(pipeline.links) == len(expected[0].links)


def test_unknown_template_creates_nothing(service: ProjectService) -> None:
    with pytest.raises(NotFoundError):
        service.create_project("x", template="nope")
    assert service.list_projects(include_deleted=True) == []


def test_save_pipeline_makes_versions_only_on_change(service: ProjectService) -> None:
    service.create_project("demo")
    info, pipeline = service.load_pipeline("demo")
    load = pipeline.apply(add_stage(pipeline, "load_data", 10, 20))
    del load
    v2 = service.save_pipeline(info.id, pipeline, "added loader")
    assert v2.version == 2 and v2.message == "added loader"
    assert service.save_pipeline(info.id, pipeline).id == v2.id  # unchanged: no new version
    again_info, again = service.load_pipeline("demo", "main")
    assert again_info.latest_version == 2
    assert to_dict(again) == to_dict(pipeline)
    old = service.pipeline_from_version(service.workspace.pipelines.versions(info.id)[0])
    assert not old.nodes  # version 1 still holds the empty graph


def test_export_then_import_round_trips(service: ProjectService, tmp_path: Path) -> None:
    service.create_project("src", template="aws")
    target = tmp_path / "out.json"
    service.export_pipeline("src", None, target)
    exported = json.loads(target.read_text(encoding="utf-8"))
    _, original = service.load_pipeline("src")
    assert exported["format_version"] == 2 and len(exported["nodes"]) == len(original.nodes)
    service.create_project("dst")
    info = service.import_pipeline("dst", target, name="copied")
    _, copied = service.load_pipeline("dst", "copied")
    assert info.name == "copied"
    assert sorted(copied.nodes) == sorted(original.nodes)
    assert {lk.id for lk in copied.links.values()} == {lk.id for lk in original.links.values()}
    with pytest.raises(ConflictError, match="--name"):
        service.import_pipeline("dst", target, name="copied")
    with pytest.raises(FormatError):
        service.export_pipeline("src", None, tmp_path / "out.yaml", fmt="yaml")


def test_import_upgrades_old_format_and_refuses_bad_files(
    service: ProjectService, tmp_path: Path
) -> None:
    service.create_project("p")
    old = {
        "format": "mlops-desktop/pipeline",
        "format_version": 1,
        "name": "legacy",
        "nodes": [{"id": "a", "type": "load_data", "title": "Load", "params": {}, "pos": [5, 6]}],
        "links": [],
    }
    path = tmp_path / "old.json"
    path.write_text(json.dumps(old), encoding="utf-8")
    info = service.import_pipeline("p", path)
    assert info.name == "legacy"
    stored = service.workspace.pipelines.latest(info.id).document
    assert stored["format_version"] == 2 and stored["nodes"][0]["x"] == 5
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(FormatError, match="not valid JSON"):
        service.import_pipeline("p", bad)
    with pytest.raises(FormatError, match="not found"):
        service.import_pipeline("p", tmp_path / "missing.json")
    assert [i.name for i in service.list_pipelines("p")] == ["main", "legacy"]


def test_create_pipeline_and_links_survive_storage(service: ProjectService) -> None:
    service.create_project("p")
    info, pipeline = service.load_pipeline("p")
    a = add_stage(pipeline, "load_data", node_id="a")
    b = add_stage(pipeline, "split", node_id="b")
    pipeline.apply(a)
    pipeline.apply(b)
    pipeline.apply(connect("a", "dataset", "b", "dataset", "l1"))
    second = service.create_pipeline("p", "second", pipeline)
    _, loaded = service.load_pipeline("p", "second")
    assert second.latest_version == 1 and loaded.name == "second"
    assert list(loaded.links) == ["l1"]


def test_project_lifecycle_through_the_service(service: ProjectService) -> None:
    service.create_project("a")
    service.rename_project("a", "b")
    service.delete_project("b")
    assert service.list_projects() == []
    service.restore_project("b")
    service.purge_project("b")
    assert service.list_projects(include_deleted=True) == []
