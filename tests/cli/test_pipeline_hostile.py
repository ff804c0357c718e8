"""Hostile pipeline files: one validation refuses them, with the place named, at import,
validate, run, report and export, and in the app; a fuzz test over mutated files."""

from __future__ import annotations

import copy
import json
import random
import time
from pathlib import Path
from typing import Any

import pytest

from mlops_desktop.app.workspace import Workspace
from mlops_desktop.cli import main

GENERIC = "run with --debug for details"  # the CLI's last-resort line for unexpected errors


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def ws_args(tmp_path: Path, capsys) -> list[str]:
    args = ["--workspace", str(tmp_path / "w.db")]
    assert run_cli(capsys, *args, "project", "create", "cloud", "--template", "google")[0] == 0
    return args


@pytest.fixture
def exported(ws_args: list[str], tmp_path: Path, capsys) -> str:
    path = tmp_path / "cloud.json"
    assert run_cli(capsys, *ws_args, "pipeline", "export", "cloud", "-o", str(path))[0] == 0
    return path.read_text(encoding="utf-8")


def _store_raw(ws_args: list[str], project: str, name: str, doc: dict[str, Any]) -> None:
    """Put a document into the workspace as an older app version might have (no checks)."""
    with Workspace.open(ws_args[1]) as ws:
        proj = ws.projects.get(project)
        ws.pipelines.create(proj.id, name, doc)


def test_infinity_is_refused_by_validate_and_import_with_the_place_named(
    capsys, ws_args, exported, tmp_path: Path
) -> None:
    assert '"x": 0.0' in exported
    path = tmp_path / "inf.json"
    path.write_text(exported.replace('"x": 0.0', '"x": Infinity', 1), encoding="utf-8")
    code, _, err = run_cli(capsys, "pipeline", "validate", str(path))
    assert code == 1 and "nodes[0].x: inf is not a finite number" in err
    code, _, err = run_cli(
        capsys, *ws_args, "pipeline", "import", "cloud", str(path), "--name", "inf"
    )
    assert code == 1 and "nodes[0].x" in err and err.count("\n") == 1
    with Workspace.open(ws_args[1]) as ws:
        names = [p.name for p in ws.pipelines.list(ws.projects.get("cloud").id)]
    assert "inf" not in names


def test_a_stored_document_with_infinity_is_refused_by_run_report_and_export(
    capsys, ws_args, exported, tmp_path: Path
) -> None:
    doc = json.loads(exported)
    doc["nodes"][0]["x"] = float("inf")
    _store_raw(ws_args, "cloud", "inf", doc)
    code, _, err = run_cli(capsys, *ws_args, "run", "cloud", "--pipeline", "inf")
    assert code == 1 and "nodes[0].x: inf is not a finite number" in err and GENERIC not in err
    out_file = tmp_path / "x.json"
    code, _, err = run_cli(
        capsys, *ws_args, "pipeline", "export", "cloud", "--pipeline", "inf", "-o", str(out_file)
    )
    assert code == 1 and "not a finite number" in err and not out_file.exists()
    report = tmp_path / "r.html"  # once 'NaN to integer' with a traceback
    code, _, err = run_cli(capsys, *ws_args, "report", "cloud", "-o", str(report))
    assert code == 0 and "Traceback" not in err and GENERIC not in err
    assert "nodes[0].x: inf is not a finite number" in report.read_text(encoding="utf-8")


def test_the_app_refuses_to_open_a_stored_document_with_infinity(
    qtbot, tmp_path: Path, capsys, exported
) -> None:
    from PySide6.QtCore import QSettings

    from mlops_desktop.qt.main_window import MainWindow

    ws_path = str(tmp_path / "w.db")
    doc = json.loads(exported)
    doc["nodes"][0]["x"] = float("inf")
    _store_raw(["--workspace", ws_path], "cloud", "inf", doc)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    win.show()
    try:
        assert win.open_workspace(ws_path)
        count = win.tabs.count()
        assert win.open_pipeline("cloud", "inf") is None
        qtbot.wait(50)  # the deferred zoom of a new tab would run here
        assert win.tabs.count() == count
        assert "not a finite number" in win.log.toPlainText()
    finally:
        win.close()


def test_report_of_a_broken_stored_pipeline_prints_no_traceback(
    capsys, tmp_path: Path, exported
) -> None:
    ws_args = ["--workspace", str(tmp_path / "w2.db")]
    assert run_cli(capsys, *ws_args, "project", "create", "p")[0] == 0
    doc = json.loads(exported)
    doc["nodes"][0]["id"] = "7"  # the links still name the old id
    with Workspace.open(ws_args[1]) as ws:
        proj = ws.projects.get("p")
        info = ws.pipelines.list(proj.id)[0]
        ws.pipelines.save(info.id, doc, "hostile")
    out = tmp_path / "r.html"
    code, _, err = run_cli(capsys, *ws_args, "report", "p", "-o", str(out), "--quiet")
    assert "Traceback" not in err and GENERIC not in err
    assert code == 0 and "no stage has the id" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["nodes"][0].__setitem__("id", 7), "nodes[0].id: expected a non-empty text"),
        (lambda d: d["nodes"][0].__setitem__("id", "7"), "no stage has the id"),
        (
            lambda d: d["links"].append(
                {
                    **d["links"][0],
                    "id": "back",
                    "source": d["links"][0]["target"],
                    "target": d["links"][0]["source"],
                }
            ),
            "contains a cycle",
        ),
        (lambda d: d["nodes"][0]["params"].__setitem__("deep", _nested(900)), "nested deeper"),
        (lambda d: d["nodes"][0].__setitem__("y", 10**400), "out of range"),
        (lambda d: d["nodes"][0]["params"].__setitem__("seed", 1e400), "not a finite number"),
        (lambda d: d["nodes"][0].__setitem__("type", "no_such_stage"), "unknown stage type"),
        (lambda d: d["nodes"].__setitem__(slice(None), d["nodes"] * 2), "is used twice"),
        (
            lambda d: d["meta"].__setitem__(
                "triggers", [{"type": "schedule", "cron": "* * * * *", "cooldown_s": "abc"}]
            ),
            "meta.triggers[0]: cooldown_s must be a number",
        ),
        (
            lambda d: d["meta"].__setitem__(
                "triggers", [{"type": "schedule", "cron": "0 0 31 2 *"}]
            ),
            "never fires",
        ),
    ],
)
def test_import_refuses_what_validate_rejects(
    capsys, ws_args, exported, tmp_path: Path, mutate, message
) -> None:
    doc = json.loads(exported)
    mutate(doc)
    path = tmp_path / "bad.json"
    text = json.dumps(doc)
    path.write_text(text, encoding="utf-8")
    code, _, err = run_cli(capsys, "pipeline", "validate", str(path))
    assert code == 1 and message in err and GENERIC not in err
    code, _, err = run_cli(capsys, *ws_args, "pipeline", "import", "cloud", str(path))
    assert code == 1 and message in err and GENERIC not in err


def _nested(depth: int) -> Any:
    value: Any = 0
    for _ in range(depth):
        value = [value]
    return value


def test_deeply_nested_json_text_is_refused(capsys, tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text('{"format_version": 2, "meta": ' + "[" * 200_000 + "]" * 200_000 + "}")
    code, _, err = run_cli(capsys, "pipeline", "validate", str(path))
    assert code == 1 and "nested" in err and GENERIC not in err


def test_a_twenty_thousand_stage_pipeline_is_refused_quickly(capsys, tmp_path: Path) -> None:
    nodes = [
        {"id": f"n{i}", "type": "load_data", "title": f"L{i}", "params": {}, "x": i, "y": 0}
        for i in range(20_000)
    ]
    doc = {"format": "mlops-desktop/pipeline", "format_version": 2, "nodes": nodes, "links": []}
    path = tmp_path / "big.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    start = time.monotonic()
    code, _, err = run_cli(capsys, "pipeline", "validate", str(path))
    assert code == 1 and "more than the limit of 5,000" in err
    assert time.monotonic() - start < 5


# --------------------------------------------------------------------------- fuzzing
HOSTILE: list[Any] = [
    float("inf"),
    float("nan"),
    -1e308 * 10,
    10**400,
    2**70,
    None,
    "",
    7,
    True,
    [],
    {},
    "x" * 300,
    _nested(60),
    {"a": _nested(40)},
]


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*path, i))
    return out


def _mutate(doc: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    for _ in range(rng.randint(1, 3)):
        paths = [p for p in _paths(doc) if p]
        path = rng.choice(paths)
        parent: Any = doc
        for part in path[:-1]:
            parent = parent[part]
        key = path[-1]
        action = rng.random()
        if action < 0.15 and isinstance(parent, dict):
            del parent[key]
        elif action < 0.25 and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[key]))
        elif action < 0.40 and isinstance(parent, dict) and key in ("source", "target", "id"):
            nodes = doc.get("nodes") if isinstance(doc.get("nodes"), list) else []
            ids = [n.get("id") for n in nodes if isinstance(n, dict)]
            parent[key] = rng.choice(ids) if ids else "ghost"
        else:
            parent[key] = copy.deepcopy(rng.choice(HOSTILE))
    return doc


def _validate_and_import(service: Any, path: Path, name: str) -> tuple[int, int, str]:
    """What ``pipeline validate`` and ``pipeline import`` do, through the same calls."""
    from mlops_desktop.core.errors import MlopsError
    from mlops_desktop.core.serialization import read_file
    from mlops_desktop.core.validation import errors

    try:
        code = 1 if errors(read_file(path)) else 0
    except MlopsError:
        code = 1
    try:
        service.import_pipeline("cloud", path, name)
    except MlopsError as exc:
        return code, 1, str(exc)
    return code, 0, ""


def test_fuzzed_pipeline_files_are_refused_cleanly_or_accepted(
    capsys, ws_args, exported, tmp_path: Path
) -> None:
    from mlops_desktop.app.projects import ProjectService

    base = json.loads(exported)
    rng = random.Random(20)
    accepted = refused = 0
    path = tmp_path / "fuzz.json"
    raw_stored = []
    with Workspace.open(ws_args[1]) as ws:
        service = ProjectService(ws)
        for case in range(300):
            doc = _mutate(base, rng)
            path.write_text(json.dumps(doc), encoding="utf-8")
            if case % 20 == 0:  # the commands themselves, on a sample
                code, _, err = run_cli(capsys, "pipeline", "validate", str(path))
                assert code in (0, 1) and GENERIC not in err, (case, err)
            code, icode, ierr = _validate_and_import(service, path, f"f{case}")
            assert icode == code, (case, ierr)  # import accepts exactly what validate accepts
            accepted += code == 0
            refused += code == 1
            if code == 1 and len(raw_stored) < 6 and _structurally_broken(doc):
                raw_stored.append(doc)
    assert accepted > 10 and refused > 150
    # Documents stored before this validation existed: run and export refuse them cleanly.
    for i, doc in enumerate(raw_stored):
        _store_raw(ws_args, "cloud", f"raw{i}", doc)
        code, _, err = run_cli(capsys, *ws_args, "run", "cloud", "--pipeline", f"raw{i}")
        assert code == 1 and GENERIC not in err and err.count("\n") == 1, err
        code, _, err = run_cli(
            capsys,
            *ws_args,
            "pipeline",
            "export",
            "cloud",
            "--pipeline",
            f"raw{i}",
            "-o",
            str(tmp_path / "e.json"),
        )
        assert GENERIC not in err, err
        if i < 1:
            out = tmp_path / f"r{i}.html"
            code, _, err = run_cli(capsys, *ws_args, "report", "cloud", "-o", str(out), "--quiet")
            assert code == 0 and "Traceback" not in err and GENERIC not in err


def _structurally_broken(doc: dict[str, Any]) -> bool:
    from mlops_desktop.core.errors import FormatError
    from mlops_desktop.core.serialization import from_dict

    try:
        from_dict(doc)
    except FormatError:
        return True
    return False
