"""A third-party stage package (examples/mlops-desktop-example-stages), installed with pip.

The package is installed into a temporary folder (``pip install --target``), never into the
shared environment, and checked in a fresh interpreter whose PYTHONPATH holds that folder:
its stage must appear in ``load_registry()`` through the ``mlops_desktop.stages`` entry
point and run inside a pipeline like a built-in stage.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "mlops-desktop-example-stages"

CHECK = r"""
import sys
from mlops_desktop.app.runs import RunService
from mlops_desktop.app.workspace import Workspace
from mlops_desktop.core import serialization
from mlops_desktop.core.graph import Pipeline
from mlops_desktop.core.operations import add_stage, connect
from mlops_desktop.core.registry import load_registry

registry = load_registry()
assert not registry.load_errors, registry.load_errors
spec = registry.get("example.quantile_clip")
print("registered:", spec.title, spec.category)
p = Pipeline("main", registry)
for node_id, kind, params in [
    ("load", "load_data", {"dataset": "diabetes"}),
    ("clip", "example.quantile_clip", {"lower": 0.05, "upper": 0.95}),
    ("split", "split", {}),
    ("train", "train", {"estimator": "ridge"}),
    ("eval", "evaluate", {"permutation_importance": False}),
]:
    p.apply(add_stage(p, kind, params=params, node_id=node_id))
for link in [
    ("load", "dataset", "clip", "dataset"),
    ("clip", "dataset", "split", "dataset"),
    ("split", "split", "train", "split"),
    ("split", "split", "eval", "split"),
    ("train", "model", "eval", "model"),
]:
    p.apply(connect(*link))
with Workspace.open(sys.argv[1]) as ws:
    proj = ws.projects.create("plugin")
    ws.pipelines.create(proj.id, "main", serialization.to_dict(p))
    service = RunService(ws, registry)
    run = service.run("plugin", executor="sync")
    assert run.status.value == "succeeded", run.message
    frame = service.outputs(run.id, "clip")["dataset"].frame
    metrics = ws.metrics.latest(run.id)
    print("clipped:", int(metrics["clipped_values"]))
    print("bmi max:", frame["bmi"].max(), "r2:", round(metrics["r2"], 3))
    again = service.run("plugin", executor="sync")
    print("second run:", sorted({s.status.value for s in again.stages}))
"""


def _can_build_offline() -> bool:
    """setuptools builds wheels by itself from 70.1 on (before, it needs ``wheel``)."""
    try:
        from importlib.metadata import version

        major, minor = (int(x) for x in version("setuptools").split(".")[:2])
    except Exception:  # noqa: BLE001 - no setuptools at all
        return False
    return (major, minor) >= (70, 1) or importlib.util.find_spec("wheel") is not None


@pytest.mark.slow
def test_the_example_package_registers_and_runs_its_stage(tmp_path):
    source = tmp_path / "src"
    shutil.copytree(EXAMPLE, source)  # pip's build folder must not land in the checkout
    target = tmp_path / "site"
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target)]
    if _can_build_offline():
        cmd.append("--no-build-isolation")
    done = subprocess.run([*cmd, str(source)], capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    assert list(target.glob("mlops_desktop_example_stages-*.dist-info/entry_points.txt"))

    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(target), os.environ.get("PYTHONPATH", "")]),
    }
    env["MLOPS_DESKTOP_NO_SAMPLE"] = "1"
    proc = subprocess.run(
        [sys.executable, "-c", CHECK, str(tmp_path / "ws.db")],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    assert "registered: Quantile clip Data" in out
    clipped = int(out.split("clipped:")[1].split()[0])
    assert clipped > 0  # 10 % of every feature column lies outside the 5-95 % quantiles
    assert "second run: ['cached']" in out  # same scheduler and cache as built-ins


def test_without_the_package_the_stage_is_unknown():
    from mlops_desktop.core.registry import default_registry

    assert "example.quantile_clip" not in default_registry()
