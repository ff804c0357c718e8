"""A full disk under the workspace: a run is refused with one clear line (no run left
`running`), the history still reads, and `workspace gc` runs and frees space, so that the
clean-up tool works exactly when it is needed. The workspace sits on a small tmpfs mounted
in a private mount namespace (skipped where unprivileged namespaces are not allowed)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent(
    """
    import contextlib, io, json, os, sys
    from mlops_desktop.cli import main
    from mlops_desktop.app.workspace import Workspace
    from mlops_desktop.core.graph import Pipeline
    from mlops_desktop.core.operations import add_stage, connect
    from mlops_desktop.core.registry import default_registry
    from mlops_desktop.core.serialization import to_dict

    folder = sys.argv[1]
    url = os.path.join(folder, "w.db")
    p = Pipeline("train", default_registry())
    for nid, kind, prm in [("load", "load_data", {"dataset": "iris"}), ("split", "split", {}),
                           ("train", "train", {"estimator": "logistic_regression"})]:
        p.apply(add_stage(p, kind, params=prm, node_id=nid))
    p.apply(connect("load", "dataset", "split", "dataset"))
    p.apply(connect("split", "split", "train", "split"))
    with Workspace.open(url) as ws:
        ws.pipelines.create(ws.projects.create("p").id, "train", to_dict(p))

    def cli(*args):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["--workspace", url, *args])
        return {"code": code, "out": out.getvalue(), "err": err.getvalue()}

    result = {"first": cli("run", "p", "--quiet"), "delete": cli("runs", "p", "--delete", "1")}
    with open(os.path.join(folder, "filler"), "wb") as fh:  # fill the disk to the last byte
        with contextlib.suppress(OSError):
            while True:
                fh.write(b"\\0" * 65536)
                fh.flush()
    result["free_before"] = os.statvfs(folder).f_bavail * os.statvfs(folder).f_frsize
    result["run"] = cli("run", "p", "--force", "--quiet")
    result["runs"] = cli("runs", "p", "--json")
    result["gc"] = cli("workspace", "gc", "--min-age", "0")
    result["free_after"] = os.statvfs(folder).f_bavail * os.statvfs(folder).f_frsize
    print(json.dumps(result))
    """
)


@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare")
def test_a_full_disk_refuses_the_run_clearly_and_gc_frees_space(tmp_path) -> None:
    folder = tmp_path / "small"
    folder.mkdir()
    script = tmp_path / "full.py"
    script.write_text(SCRIPT)
    command = (
        f'mount -t tmpfs -o size=4m tmpfs "{folder}" && exec "{sys.executable}" "{script}" '
        f'"{folder}"'
    )
    done = subprocess.run(
        ["unshare", "-rm", "sh", "-c", command], capture_output=True, text=True, timeout=180
    )
    if done.returncode != 0 and ("mount" in done.stderr or "unshare" in done.stderr):
        pytest.skip(f"cannot mount a small file system here: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["first"]["code"] == 0 and result["delete"]["code"] == 0
    assert result["free_before"] < 64 * 1024
    run = result["run"]
    assert run["code"] == 1
    assert run["err"].count("\n") == 1 and "Traceback" not in run["err"]
    assert "the disk holding the workspace is full" in run["err"], run["err"]
    # The history still reads, and no run is left looking alive.
    assert result["runs"]["code"] == 0, result["runs"]["err"]
    listed = result["runs"]["out"]
    assert '"failed"' in listed or '"succeeded"' in listed or listed.strip() in ("", "[]")
    assert '"running"' not in listed and '"queued"' not in listed
    # gc runs on the full disk and frees the deleted run's files.
    assert result["gc"]["code"] == 0, result["gc"]["err"]
    assert "removed 0 artifact" not in result["gc"]["out"]
    assert result["free_after"] > result["free_before"]
