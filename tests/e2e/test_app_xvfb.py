"""The installed app used as a person would, on a virtual X display with real mouse and keys.

``mlops-desktop`` starts on a fresh workspace (so it makes the sample project, as on a first
run); then, with xdotool: Ctrl+N creates a blank project, "Load data" and "Split" are dragged
from the palette onto the canvas, the output port is dragged onto the input port, F5 runs
the pipeline, the Maturity tab is clicked, File > Export report (Ctrl+Shift+R) writes a
report to a typed path, and Ctrl+Q quits. Then the workspace and the report are checked.

Where to press comes from the app's geometry probe (``mlops_desktop.qt.e2e_probe``), which the
app only runs when ``MLOPS_DESKTOP_E2E_GEOMETRY_FILE`` is set. Screenshots of every step go to
``test-output/e2e/``.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

PROJECT = "E2E churn"
SAMPLE = "Sample: breast cancer"
MAIN_WINDOW = (
    r"\.db( — MLOps Desktop)?$"  # the workspace, then the app name (X11 WM_NAME has no suffix)
)
OUTPUT = Path(__file__).resolve().parents[2] / "test-output" / "e2e"


def _nodes(snap: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n["type"]: n for n in snap["canvas"]["nodes"]}


def _port(node: dict[str, Any], name: str, output: bool) -> tuple[int, int]:
    port = next(p for p in node["ports"] if p["name"] == name and p["output"] == output)
    return port["pos"][0], port["pos"][1]


def _latest_run(db: Path, project: str) -> tuple[int, str] | None:
    """(id, status) of the project's newest run, read through a read-only connection."""
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)) as con:
        try:
            row = con.execute(
                "SELECT r.id, r.status FROM runs r JOIN projects p ON p.id = r.project_id "
                "WHERE p.name = ? ORDER BY r.id DESC LIMIT 1",
                (project,),
            ).fetchone()
        except sqlite3.OperationalError:  # locked by a write this instant: ask again
            return None
    return (int(row[0]), str(row[1])) if row else None


def _report_text(path: Path) -> str:
    if path.suffix == ".pdf":
        done = subprocess.run(
            ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        return done.stdout
    return path.read_text(encoding="utf-8")


def test_person_builds_runs_assesses_and_reports(desktop: Any, tmp_path: Path) -> None:
    workspace = tmp_path / "ws.db"
    report = tmp_path / "reports" / ("e2e-report.pdf" if shutil.which("pdftotext") else "e2e.html")
    report.parent.mkdir()
    begin = time.monotonic()

    # ---- start: the window appears and, on a first run, shows the sample project
    t = time.monotonic()
    desktop.start_app("--workspace", str(workspace))
    snap = desktop.wait_for(
        "the sample project's canvas",
        lambda s: s["project"] == SAMPLE and s["canvas"]["nodes"] and s["palette"],
        timeout=45,
    )
    assert str(workspace) in snap["window"]["title"]
    desktop.xdotool("search", "--sync", "--onlyvisible", "--name", MAIN_WINDOW, timeout=15)
    desktop.step("start", t)
    desktop.screenshot("first run with the sample")

    # ---- File > New project (Ctrl+N): a blank project
    t = time.monotonic()
    desktop.focus(MAIN_WINDOW)
    desktop.key("ctrl+n")
    desktop.wait_for("the New project dialog", lambda s: s["modal"]["class"] == "NewProjectDialog")
    desktop.focus("^New project")
    desktop.type(PROJECT)
    desktop.key("Tab", "Home", "shift+Tab")  # the template list: its first entry, Blank
    desktop.screenshot("new blank project")
    desktop.key("Return")
    snap = desktop.wait_for(
        "the new project's empty canvas",
        lambda s: (
            s["modal"] is None
            and s["project"] == PROJECT
            and s["canvas"]["nodes"] == []
            and s["canvas"]["visible"]
        ),
    )
    desktop.step("new project", t)

    # ---- drag two stages from the palette onto the canvas
    t = time.monotonic()
    x, y, w, h = snap["canvas"]["viewport"]
    # Left of centre and above the middle: clear of the minimap in the bottom-right corner.
    spots = {"load_data": (x + w * 25 // 100, y + h * 40 // 100)}
    spots["split"] = (x + w * 55 // 100, spots["load_data"][1])
    for count, stage in enumerate(("load_data", "split"), start=1):
        snap = desktop.settled()
        desktop.drag(desktop.centre(snap["palette"][stage]), spots[stage])
        snap = desktop.wait_for(
            f"'{stage}' on the canvas",
            lambda s, n=count, st=stage: len(s["canvas"]["nodes"]) == n and st in _nodes(s),
        )
    placed = _nodes(snap)
    for stage, (px, py) in spots.items():
        nx, ny, nw, nh = placed[stage]["rect"]
        assert nx <= px <= nx + nw and ny <= py <= ny + nh, f"{stage} not where it was dropped"
    desktop.step("drag stages", t)
    desktop.screenshot("stages dropped")

    # ---- connect Load data's output to Split's input by dragging between the ports
    t = time.monotonic()
    snap = desktop.settled()
    nodes = _nodes(snap)
    desktop.drag(
        _port(nodes["load_data"], "dataset", True), _port(nodes["split"], "dataset", False)
    )
    snap = desktop.wait_for(
        "the link and its autosave",
        lambda s: len(s["canvas"]["links"]) == 1 and s["save_label"].startswith("Saved"),
    )
    link = snap["canvas"]["links"][0]
    ids = {n["type"]: n["id"] for n in snap["canvas"]["nodes"]}
    assert (link["source"], link["source_port"], link["target"], link["target_port"]) == (
        ids["load_data"],
        "dataset",
        ids["split"],
        "dataset",
    )
    desktop.step("connect", t)
    desktop.screenshot("stages connected")

    # ---- Ctrl+Z with the canvas focused removes the link; Ctrl+Y puts it back
    t = time.monotonic()
    vx, vy, vw, vh = snap["canvas"]["viewport"]
    desktop.click((vx + vw // 10, vy + vh * 8 // 10))  # empty canvas: focus, no edit
    desktop.key("ctrl+z")
    desktop.wait_for("the link undone", lambda s: len(s["canvas"]["links"]) == 0)
    desktop.key("ctrl+y")
    snap = desktop.wait_for("the link redone", lambda s: len(s["canvas"]["links"]) == 1)
    desktop.step("undo on the canvas", t)

    # ---- drop "Validate data" on the link: it is inserted between the two stages, as one
    # undo step (Ctrl+Z takes it out and joins Load data to Split again)
    t = time.monotonic()
    nodes = _nodes(snap)
    (ax, ay), (bx, by) = (
        _port(nodes["load_data"], "dataset", True),
        _port(nodes["split"], "dataset", False),
    )
    desktop.drag(desktop.centre(snap["palette"]["validate_data"]), ((ax + bx) // 2, (ay + by) // 2))
    snap = desktop.wait_for(
        "Validate data inserted on the link",
        lambda s: len(s["canvas"]["nodes"]) == 3 and len(s["canvas"]["links"]) == 2,
    )
    ids = {n["type"]: n["id"] for n in snap["canvas"]["nodes"]}
    assert sorted((lk["source"], lk["target"]) for lk in snap["canvas"]["links"]) == sorted(
        [(ids["load_data"], ids["validate_data"]), (ids["validate_data"], ids["split"])]
    )
    desktop.screenshot("stage dropped on a link")
    desktop.click((vx + vw // 10, vy + vh * 8 // 10))
    desktop.key("ctrl+z")
    snap = desktop.wait_for(
        "the insertion undone in one step",
        lambda s: len(s["canvas"]["nodes"]) == 2 and len(s["canvas"]["links"]) == 1,
    )
    desktop.step("drop on a link", t)

    # ---- a Tune stage after Split: its candidates' scores are plotted while the run goes on
    t = time.monotonic()
    desktop.drag(
        desktop.centre(snap["palette"]["tune"]), (x + w * 80 // 100, spots["load_data"][1])
    )
    snap = desktop.wait_for("'tune' on the canvas", lambda s: "tune" in _nodes(s))
    snap = desktop.settled()
    nodes = _nodes(snap)
    desktop.drag(_port(nodes["split"], "split", True), _port(nodes["tune"], "split", False))
    snap = desktop.wait_for(
        "Split linked to Tune and saved",
        lambda s: len(s["canvas"]["links"]) == 2 and s["save_label"].startswith("Saved"),
    )
    desktop.step("add tune", t)

    # ---- Run (F5) and wait for the run to finish
    t = time.monotonic()
    desktop.focus(MAIN_WINDOW)
    desktop.key("F5")
    deadline = time.monotonic() + 60
    run = None
    while time.monotonic() < deadline:
        run = _latest_run(workspace, PROJECT)
        if run is not None and run[1] not in ("queued", "running"):
            break
        time.sleep(0.25)
    assert run is not None and run[1] == "succeeded", f"run did not succeed: {run}"
    snap = desktop.wait_for(
        "the three stages shown as succeeded",
        lambda s: not s["running"] and {n["status"] for n in s["canvas"]["nodes"]} == {"succeeded"},
    )
    # The Run panel followed the run, and Tune's metric points reached it through the live
    # path (the run controller's signals) before the stored series were read back.
    assert snap["run_view"]["run_id"] == run[0], snap["run_view"]
    assert snap["run_view"]["live_points"] >= 1, snap["run_view"]
    desktop.step("run", t)
    desktop.screenshot("run succeeded")

    # ---- open the maturity view (View → Maturity, Ctrl+Shift+A: bottom panels start closed)
    t = time.monotonic()
    desktop.focus(MAIN_WINDOW)
    desktop.key("ctrl+shift+a")
    snap = desktop.wait_for(
        "the maturity assessment",
        lambda s: (
            s["maturity"]["visible"] and s["maturity"]["header"] == f"Maturity of '{PROJECT}'"
        ),
        timeout=30,
    )
    assert "Google:" in snap["maturity"]["summary"], snap["maturity"]
    desktop.step("maturity", t)
    desktop.screenshot("maturity view")

    # ---- File > Export report (Ctrl+Shift+R): type the path, press Export
    t = time.monotonic()
    desktop.focus(MAIN_WINDOW)
    desktop.key("ctrl+shift+r")
    snap = desktop.wait_for(
        "the Export report dialog", lambda s: s["modal"]["class"] == "ExportReportDialog"
    )
    desktop.focus("^Export report")
    desktop.key("ctrl+a")
    desktop.type(str(report))
    desktop.screenshot("export report dialog")
    snap = desktop.settled()
    desktop.click(desktop.centre(snap["modal"]["buttons"]["Export"]))
    snap = desktop.wait_for(
        "the report written",
        lambda s: "Open report" in s["modal"]["buttons"] and report.is_file(),
        timeout=60,
    )
    desktop.screenshot("report written")
    desktop.focus("^Export report")
    desktop.key("Escape")
    desktop.wait_for("the dialog closed", lambda s: s["modal"] is None)
    desktop.step("export report", t)

    # ---- quit (Ctrl+Q): the app ends by itself
    t = time.monotonic()
    desktop.focus(MAIN_WINDOW)
    desktop.key("ctrl+q")
    assert desktop.app is not None
    try:
        code = desktop.app.wait(timeout=30)
    except subprocess.TimeoutExpired:
        desktop.screenshot("did not quit")
        pytest.fail("the app did not quit on Ctrl+Q:\n" + desktop.app_output())
    assert code == 0, desktop.app_output()
    desktop.step("quit", t)
    desktop.step("total", begin)

    _check_workspace(workspace, run[0])
    text = _report_text(report)
    assert PROJECT in text, text[:1500]
    assert "Load data" in text and "Split" in text, text[:1500]
    if report.suffix == ".pdf":
        assert re.search(r"Load data\s*→\s*Split", text), "the report lists the link"
        _save_report_pages(report)
    assert "Traceback" not in desktop.app_output(), desktop.app_output()
    assert not desktop.failed_shots, desktop.failed_shots


def _save_report_pages(report: Path) -> None:
    """The report's first pages as PNGs beside the screenshots, for a person to look at."""
    if shutil.which("pdftoppm") is None:
        return
    OUTPUT.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "2", str(report), str(OUTPUT / "report")],
        capture_output=True,
        timeout=60,
    )


def _check_workspace(path: Path, run_id: int) -> None:
    """What the person did is stored: the pipeline as drawn, a succeeded run of it, an
    assessment, and the sample project of the first run."""
    from mlops_desktop.app.assessment import AssessmentService
    from mlops_desktop.app.workspace import Workspace
    from mlops_desktop.core.serialization import from_dict

    with Workspace.open(str(path)) as ws:
        names = {p.name for p in ws.projects.list()}
        assert names == {PROJECT, SAMPLE}
        project = ws.projects.get(PROJECT)
        (info,) = ws.pipelines.list(project.id)
        latest = ws.pipelines.latest(info.id)
        pipeline = from_dict(latest.document)
        types = sorted(n.type for n in pipeline.nodes.values())
        assert types == ["load_data", "split", "tune"]
        by_type = {n.type: n.id for n in pipeline.nodes.values()}
        links = sorted(
            (lk.source, lk.source_port, lk.target, lk.target_port) for lk in pipeline.links.values()
        )
        assert links == sorted(
            [
                (by_type["load_data"], "dataset", by_type["split"], "dataset"),
                (by_type["split"], "split", by_type["tune"], "split"),
            ]
        )
        run = ws.runs.get(run_id)
        assert run.status == "succeeded"
        assert run.pipeline_id == info.id and run.pipeline_version_id == latest.id
        assert sorted((s.node_id, s.status) for s in run.stages) == sorted(
            (node_id, "succeeded") for node_id in by_type.values()
        )
        assert AssessmentService(ws).history(PROJECT), "opening the maturity view stores one"
