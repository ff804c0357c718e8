"""ProjectStore and PipelineStore on each backend."""

from __future__ import annotations

import pytest

from mlops_desktop.app.workspace import Workspace
from mlops_desktop.core.entities import RunStatus
from mlops_desktop.core.errors import ConflictError, InvalidNameError, NotFoundError

DOC = {"format": "mlops-desktop/pipeline", "format_version": 2, "name": "main", "nodes": []}


def test_create_get_list_projects(ws: Workspace) -> None:
    a = ws.projects.create("beta", "second", "blank")
    b = ws.projects.create("  alpha  ")
    assert b.name == "alpha" and a.description == "second"
    assert a.created_at.tzinfo is not None
    assert [p.name for p in ws.projects.list()] == ["alpha", "beta"]
    assert ws.projects.get("beta") == a
    assert ws.projects.get(a.id) == a
    with pytest.raises(NotFoundError, match="no project 'gamma'"):
        ws.projects.get("gamma")


@pytest.mark.parametrize("bad", ["", "   ", "a\x00b", "x" * 201])
def test_bad_project_names_are_refused(ws: Workspace, bad: str) -> None:
    with pytest.raises(InvalidNameError):
        ws.projects.create(bad)
    assert ws.projects.list(include_deleted=True) == []


def test_names_are_unique_including_deleted_projects(ws: Workspace) -> None:
    ws.projects.create("p")
    with pytest.raises(ConflictError, match="already exists"):
        ws.projects.create("p")
    ws.projects.delete("p")
    with pytest.raises(ConflictError, match="deleted"):
        ws.projects.create("p")


def test_rename(ws: Workspace) -> None:
    ws.projects.create("a")
    ws.projects.create("b")
    with pytest.raises(ConflictError):
        ws.projects.rename("a", "b")
    renamed = ws.projects.rename("a", "c")
    assert renamed.name == "c"
    assert [p.name for p in ws.projects.list()] == ["b", "c"]
    with pytest.raises(NotFoundError):
        ws.projects.rename("a", "d")


def test_soft_delete_restore_and_purge(ws: Workspace) -> None:
    p = ws.projects.create("p", pipelines=[("main", DOC)])
    deleted = ws.projects.delete("p")
    assert deleted.deleted
    assert ws.projects.list() == []
    assert [x.name for x in ws.projects.list(include_deleted=True)] == ["p"]
    with pytest.raises(NotFoundError, match="deleted"):
        ws.projects.get("p")
    assert ws.pipelines.list(p.id)  # kept while in the trash
    restored = ws.projects.restore("p")
    assert not restored.deleted and ws.projects.get("p").id == p.id
    with pytest.raises(ConflictError, match="not deleted"):
        ws.projects.restore("p")


def test_purge_removes_everything_of_the_project(ws: Workspace) -> None:
    keep = ws.projects.create("keep", pipelines=[("main", DOC)])
    gone = ws.projects.create("gone", pipelines=[("main", DOC)])
    for project in (keep, gone):
        info = ws.pipelines.list(project.id)[0]
        version = ws.pipelines.save(info.id, {**DOC, "nodes": [{"id": "x"}]})
        run = ws.runs.create(project.id, info.id, version.id)
        ws.metrics.log_batch(run.id, [])
        import numpy as np

        ws.metrics.log_arrays(run.id, "loss", np.arange(5.0))
        ws.runs.finish(run.id, RunStatus.SUCCEEDED)
    gone_pipeline = ws.pipelines.list(gone.id)[0]
    gone_run = ws.runs.list(gone.id)[0]
    ws.projects.purge("gone")
    assert [p.name for p in ws.projects.list(include_deleted=True)] == ["keep"]
    assert ws.pipelines.list(gone.id) == []
    with pytest.raises(NotFoundError):
        ws.pipelines.latest(gone_pipeline.id)
    with pytest.raises(NotFoundError):
        ws.runs.get(gone_run.id)
    assert ws.metrics.count(gone_run.id) == 0
    keep_run = ws.runs.list(keep.id)[0]
    assert ws.metrics.count(keep_run.id) == 5


def test_pipelines_are_versioned_by_content(ws: Workspace) -> None:
    project = ws.projects.create("p")
    info = ws.pipelines.create(project.id, "train", DOC)
    assert info.latest_version == 1
    v1 = ws.pipelines.latest(info.id)
    assert v1.version == 1 and v1.document == DOC and len(v1.content_hash) == 64
    same = ws.pipelines.save(info.id, dict(reversed(list(DOC.items()))), "no change")
    assert same.id == v1.id  # key order does not change the content hash
    changed = {**DOC, "nodes": [{"id": "n1", "type": "data.load"}]}
    v2 = ws.pipelines.save(info.id, changed, "added a stage")
    assert (v2.version, v2.message, v2.document) == (2, "added a stage", changed)
    assert v2.content_hash != v1.content_hash
    assert ws.pipelines.latest(info.id) == v2
    assert ws.pipelines.version(v1.id).document == DOC  # old versions stay as they were
    assert [v.version for v in ws.pipelines.versions(info.id)] == [1, 2]
    assert ws.pipelines.get(project.id, "train").latest_version == 2


def test_pipeline_names_unique_within_a_project(ws: Workspace) -> None:
    a = ws.projects.create("a")
    b = ws.projects.create("b")
    ws.pipelines.create(a.id, "main", DOC)
    ws.pipelines.create(b.id, "main", DOC)  # another project may reuse the name
    with pytest.raises(ConflictError):
        ws.pipelines.create(a.id, "main", DOC)
    second = ws.pipelines.create(a.id, "other", DOC)
    with pytest.raises(ConflictError):
        ws.pipelines.rename(second.id, "main")
    assert ws.pipelines.rename(second.id, "scoring").name == "scoring"
    assert [p.name for p in ws.pipelines.list(a.id)] == ["main", "scoring"]
    with pytest.raises(NotFoundError):
        ws.pipelines.get(a.id, "other")
    with pytest.raises(NotFoundError):
        ws.pipelines.create(9999, "x", DOC)


def test_pipeline_delete(ws: Workspace) -> None:
    project = ws.projects.create("p")
    info = ws.pipelines.create(project.id, "main", DOC)
    ws.pipelines.delete(info.id)
    assert ws.pipelines.list(project.id) == []
    with pytest.raises(NotFoundError):
        ws.pipelines.delete(info.id)


def test_project_with_pipelines_is_all_or_nothing(ws: Workspace) -> None:
    with pytest.raises(ConflictError):
        ws.projects.create("p", pipelines=[("main", DOC), ("main", DOC)])
    assert ws.projects.list(include_deleted=True) == []


def test_settings_are_json_values(ws: Workspace) -> None:
    assert ws.settings.get("k", 7) == 7
    ws.settings.set("k", {"a": [1, 2.5, "x"], "b": None})
    assert ws.settings.get("k") == {"a": [1, 2.5, "x"], "b": None}
    ws.settings.set("k", 3)
    assert ws.settings.get("k") == 3
    with pytest.raises(TypeError):
        ws.settings.set("bad", object())
    ws.settings.delete("k")
    assert ws.settings.get("k") is None


def test_unicode_names_round_trip(ws: Workspace) -> None:
    name = "Données – 数据 👩‍💻"
    project = ws.projects.create(name, "описание")
    assert ws.projects.get(name) == project
    assert ws.projects.get(name).description == "описание"
    info = ws.pipelines.create(project.id, "ευρετήριο", {**DOC, "name": "ευρετήριο"})
    assert ws.pipelines.latest(info.id).document["name"] == "ευρετήριο"
