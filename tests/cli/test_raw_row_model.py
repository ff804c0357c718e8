"""The model is the whole fitted pipeline: run from the CLI on a raw CSV (text, missing
values, an ID column sorted by the target), registered and packaged, it scores raw CSV rows
in a fresh virtual environment that holds only scikit-learn, skops and pandas (no app), with
the very predictions the app made."""

from __future__ import annotations

import json
import os
import subprocess
import sysconfig
import venv
from pathlib import Path

import numpy as np
import pandas as pd

from mlops_desktop.app.runs import RunService
from mlops_desktop.app.workspace import Workspace
from mlops_desktop.cli import main
from mlops_desktop.core import serialization
from mlops_desktop.core.graph import Pipeline
from mlops_desktop.core.operations import add_stage, connect
from mlops_desktop.core.registry import default_registry

# what scoring a packaged model needs: scikit-learn, skops, pandas and their dependencies
LENT = (
    "sklearn skops numpy scipy joblib threadpoolctl.py narwhals pandas dateutil six.py "
    "packaging prettytable wcwidth cloudpickle numpy.libs scipy.libs scikit_learn.libs"
).split()

SCORE = """
import json, sys
import pandas as pd
import skops.io as sio
try:
    import mlops_desktop  # noqa: F401
    sys.exit("the app is importable here: the check would prove nothing")
except ImportError:
    pass
trusted = sio.get_untrusted_types(file="model.skops")
model = sio.load("model.skops", trusted=trusted)
print(json.dumps([str(v) for v in model.predict(pd.read_csv("rows.csv"))]))
"""


def titanic_like(path: Path, n: int = 300) -> None:
    """Survival from sex and class; rows sorted by the target and numbered (a leak)."""
    rng = np.random.default_rng(3)
    sex = rng.choice(["male", "female"], n)
    pclass = rng.choice([1, 2, 3], n)
    age = np.where(rng.random(n) < 0.2, np.nan, rng.normal(30, 12, n).round(1))
    odds = 2.2 * (sex == "female") - 0.9 * (pclass - 2) - 0.6
    survived = np.where(rng.random(n) < 1 / (1 + np.exp(-odds)), "yes", "no")
    frame = pd.DataFrame(
        {
            "name": [f"Passenger {i:04d}" for i in rng.permutation(n)],
            "pclass": pclass,
            "sex": sex,
            "age": age,
            "embarked": rng.choice(["S", "C", "Q", None], n, p=[0.6, 0.2, 0.15, 0.05]),
            "survived": survived,
        }
    ).sort_values(["survived", "pclass", "sex"])
    frame.insert(0, "rownames", np.arange(1, n + 1))
    frame.to_csv(path, index=False)


def lifecycle(csv: Path, folder: Path, roles: str = "") -> Pipeline:
    p = Pipeline("main", default_registry())
    load = {"source": "file", "path": str(csv), "target": "survived", "roles": roles}
    for node_id, stage_type, params in [
        ("load", "load_data", load),
        ("split", "split", {}),
        ("train", "train", {"estimator": "random_forest", "n_estimators": 30}),
        ("eval", "evaluate", {"permutation_importance": False}),
        ("register", "register_model", {"model_name": "survival"}),
        ("package", "package", {"output_folder": str(folder)}),
    ]:
        p.apply(add_stage(p, stage_type, params=params, node_id=node_id))
    for link in [
        ("load", "dataset", "split", "dataset"),
        ("split", "split", "train", "split"),
        ("split", "split", "eval", "split"),
        ("train", "model", "eval", "model"),
        ("train", "model", "register", "model"),
        ("eval", "metrics", "register", "metrics"),
        ("register", "model_version", "package", "model_version"),
    ]:
        p.apply(connect(*link))
    return p


def fresh_python(tmp_path: Path) -> Path:
    """A new venv that sees only the LENT packages of this environment (no downloads)."""
    env_dir, lent = tmp_path / "venv", tmp_path / "lent"
    venv.EnvBuilder(with_pip=False, symlinks=os.name != "nt").create(env_dir)
    python = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    lent.mkdir()
    here = Path(sysconfig.get_paths()["purelib"])
    for name in LENT:
        if (here / name).exists():
            (lent / name).symlink_to(here / name)
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (Path(site) / "lent.pth").write_text(f"{lent}\n")
    return python


def test_packaged_pipeline_scores_raw_csv_rows_in_a_fresh_venv(tmp_path, capsys):
    csv, folder, ws_path = tmp_path / "titanic.csv", tmp_path / "package", str(tmp_path / "w.db")
    titanic_like(csv)
    with Workspace.open(ws_path) as ws:
        project = ws.projects.create("titanic")
        ws.pipelines.create(project.id, "main", serialization.to_dict(lifecycle(csv, folder)))
    assert main(["--workspace", ws_path, "run", "titanic"]) == 0
    capsys.readouterr()
    assert main(["--workspace", ws_path, "runs", "titanic", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)[0]["metrics"]
    assert "balanced_accuracy" in listed and "confusion_matrix" not in listed
    with Workspace.open(ws_path) as ws:
        service = RunService(ws)
        split = service.outputs(1, "split")["split"]
        in_app = service.outputs(1, "eval")["predictions"].frame["y_pred"].astype(str).tolist()
        accuracy = service.outputs(1, "eval")["metrics"].values["accuracy"]
        log = "\n".join(s.log for s in ws.runs.get(1).stages)
    # the row numbers sorted by the target are ignored, so the score is the honest one
    assert "ignored column 'rownames': row numbers" in log
    assert "ignored column 'name'" in log
    assert 0.6 < accuracy < 0.95
    assert list(split.X_test.columns) == ["pclass", "sex", "age", "embarked"]
    raw = pd.read_csv(csv).loc[split.X_test.index].drop(columns=["survived"])
    assert raw.isna().any().any() and not pd.api.types.is_numeric_dtype(raw["sex"])
    work = tmp_path / "score"
    work.mkdir()
    raw.to_csv(work / "rows.csv", index=False)  # every original column, as in the file
    (work / "model.skops").write_bytes((folder / "survival-v1" / "model.skops").read_bytes())
    (work / "score.py").write_text(SCORE)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    done = subprocess.run(
        [str(fresh_python(tmp_path)), "score.py"],
        capture_output=True,
        text=True,
        cwd=work,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout) == in_app
