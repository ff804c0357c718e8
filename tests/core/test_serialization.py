"""Pipeline documents: round trip, upgrades of old versions, renamed ids, bad files."""

from __future__ import annotations

import json

import pytest

from mlops_desktop.core import operations as ops
from mlops_desktop.core import serialization as ser
from mlops_desktop.core.errors import FormatError
from mlops_desktop.core.graph import Note, Pipeline
from mlops_desktop.core.registry import StageRegistry, default_registry
from mlops_desktop.core.specs import StageSpec
from mlops_desktop.core.validation import validate


def sample() -> Pipeline:
    p = Pipeline("Sample ünïcode")
    a = ops.add_stage(p, "load_data", params={"dataset": "iris"})
    b = ops.add_stage(p, "split", x=220, y=10)
    p.apply(a)
    p.apply(b)
    p.apply(ops.connect(a.node.id, "dataset", b.node.id, "dataset"))
    p.apply(ops.AddNote(Note("n1", "<b>data</b> part", 1, 2)))
    p.apply(ops.SetMeta("triggers", [{"type": "manual"}]))
    return p


def test_round_trip_keeps_everything(tmp_path):
    p = sample()
    path = tmp_path / "p.json"
    ser.write_file(p, path)
    q = ser.read_file(path)
    assert q.same_content(p) and q.name == p.name
    assert json.loads(path.read_text())["format_version"] == ser.FORMAT_VERSION


def test_version_1_documents_are_upgraded():
    doc = ser.to_dict(sample())
    doc["format_version"] = 1
    for n in doc["nodes"]:
        n["pos"] = [n.pop("x"), n.pop("y")]
    del doc["notes"], doc["meta"]
    q = ser.from_dict(doc)
    assert {(n.x, n.y) for n in q.nodes.values()} == {(0.0, 0.0), (220.0, 10.0)}
    assert not validate(q)


def test_renamed_stage_ids_resolve_on_load():
    base = default_registry()
    old = base.get("split")
    renamed = StageSpec(
        **{
            **{f: getattr(old, f) for f in old.__dataclass_fields__},
            "id": "train_test_split",
            "aliases": ("split",),
        }
    )
    reg = StageRegistry([s for s in base if s.id != "split"] + [renamed])
    q = ser.from_dict(ser.to_dict(sample()), reg)
    assert sorted(n.type for n in q.nodes.values()) == ["load_data", "train_test_split"]
    assert not [pr for pr in validate(q) if pr.severity == "error"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"format_version": 99}', "newer than this app"),
        ('{"format": "other"}', "not a pipeline document"),
        ('{"format_version": 2, "nodes": [{"id": 1}]}', r"nodes\[0\]\.id: expected a non-empty"),
    ],
)
def test_bad_documents_give_clear_errors(text, message):
    with pytest.raises(FormatError, match=message):
        ser.loads(text)


def test_missing_and_binary_files(tmp_path):
    with pytest.raises(FormatError, match="not found"):
        ser.read_file(tmp_path / "nope.json")
    bad = tmp_path / "bin.json"
    bad.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(FormatError):
        ser.read_file(bad)


def test_validation_reports_every_problem_at_once():
    doc = ser.to_dict(sample())
    doc["nodes"].append({"id": "x", "type": "no_such_stage", "title": "Mystery"})
    doc["nodes"].append(
        {"id": "t", "type": "train", "title": "Train", "params": {"n_estimators": -3}}
    )
    doc["links"].append(
        {"id": "bad", "source": "x", "source_port": "o", "target": "t", "target_port": "split"}
    )
    problems = [pr.message for pr in validate(ser.from_dict(doc))]
    assert any("unknown stage type 'no_such_stage'" in m for m in problems)
    assert any("n_estimators" in m for m in problems)
    assert any("required input 'split'" in m for m in problems)
    assert any("unknown stage type" in m and "Mystery" in m for m in problems)
