"""The gate compares champion and challenger for the same positive class: when Train names
the positive class, the champion's precision, recall and F1 on the same test rows are that
class's too (not the second class, which scikit-learn would take)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.metrics import recall_score

from mlops_desktop.app.projects import ProjectService
from mlops_desktop.app.registry import RegistryService
from mlops_desktop.app.runs import RunService
from mlops_desktop.app.workspace import Workspace
from mlops_desktop.cli import main
from mlops_desktop.core.operations import set_param


@pytest.mark.slow
def test_the_champion_is_scored_for_the_challengers_positive_class(workspace_url, capsys):
    assert (
        main(["--workspace", workspace_url, "project", "create", "ct", "--template", "google"]) == 0
    )
    assert main(["--workspace", workspace_url, "run", "ct", "--quiet"]) == 0  # v1 serves
    with Workspace.open(workspace_url) as ws:
        service = ProjectService(ws)
        info, pipeline = service.load_pipeline("ct")
        pipeline.apply(set_param(pipeline, "train", "positive_class", "0"))  # malignant
        service.save_pipeline(info.id, pipeline, "malignant is positive")
    main(["--workspace", workspace_url, "run", "ct", "--quiet"])
    capsys.readouterr()
    assert main(["--workspace", workspace_url, "runs", "ct", "--json"]) == 0
    runs = json.loads(capsys.readouterr().out)
    latest = max(runs, key=lambda r: r["id"])
    logged = latest["metrics"]
    assert logged["gate_champion_compared"] == 1.0
    with Workspace.open(workspace_url) as ws:
        outputs = RunService(ws).outputs(latest["id"], "split")
        split = outputs["split"]
        registry = RegistryService(ws)
        version = registry.version("ct", registry.list_models("ct")[0].name, 1)  # the champion
        champion = ws_model(ws, version)
    y = np.asarray(split.y_test)
    predicted = champion.predict(split.X_test)
    # the champion's own default would be the second class (1): it is scored for 0 instead
    assert logged["gate_champion_recall"] == pytest.approx(recall_score(y, predicted, pos_label=0))
    assert logged["gate_champion_recall"] != pytest.approx(recall_score(y, predicted, pos_label=1))


def ws_model(ws, version):
    from mlops_desktop.engine.serialize import load_estimator

    return load_estimator(ws.artifacts.read_bytes(version.artifact_digest))
