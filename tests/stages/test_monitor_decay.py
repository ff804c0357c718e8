"""Monitor watches what the model does, not only its inputs: when the labels of served rows
say the model answers wrong more often than in the first run that served the same version,
that is performance decay (a quality alert) even though no input column moved; and when
the answers themselves shift, that is prediction drift."""

from __future__ import annotations

import pytest

from mlops_desktop.app.registry import RegistryService
from mlops_desktop.app.runs import RunService
from mlops_desktop.app.workspace import Workspace
from mlops_desktop.core.graph import Pipeline
from mlops_desktop.core.operations import add_stage, connect
from mlops_desktop.core.registry import default_registry
from mlops_desktop.core.serialization import to_dict
from mlops_desktop.storage.triggers import TriggerStore

DATA = [("load", "load_data", {"dataset": "wine"}), ("split", "split", {"test_size": 0.4})]


def _doc(name, nodes, links):
    pipeline = Pipeline(name, default_registry())
    for node_id, stage_type, params in nodes:
        pipeline.apply(add_stage(pipeline, stage_type, params=params, node_id=node_id))
    for link in links:
        pipeline.apply(connect(*link))
    return to_dict(pipeline)


def _project(ws, drift: str, per_batch: float, monitor: dict | None = None) -> None:
    project = ws.projects.create("p")
    ws.pipelines.create(
        project.id,
        "train",
        _doc(
            "train",
            [
                *DATA,
                ("train", "train", {"estimator": "logistic_regression"}),
                ("reg", "register_model", {"model_name": "clf"}),
            ],
            [("load", "dataset", "split", "dataset"), ("split", "split", "train", "split")]
            + [("train", "model", "reg", "model")],
        ),
    )
    traffic = {"batch_size": 300, "drift": drift, "drift_per_batch": per_batch}
    ws.pipelines.create(
        project.id,
        "serve",
        _doc(
            "serve",
            [
                *DATA,
                ("traffic", "simulate_traffic", traffic),
                ("serve", "serve", {"environment": "production"}),
                ("monitor", "monitor", monitor or {}),
            ],
            [("load", "dataset", "split", "dataset"), ("split", "split", "traffic", "split")]
            + [("traffic", "dataset", "serve", "dataset")]
            + [("split", "split", "monitor", "reference")]
            + [("serve", "predictions", "monitor", "predictions")],
        ),
    )
    RunService(ws).run("p", "train")
    RegistryService(ws).deploy("p", "clf", 1, "production")


def _serve(ws):
    run = RunService(ws).run("p", "serve")
    out = RunService(ws).outputs(run.id, "monitor")
    log = next(s.log for s in run.stages if s.node_id == "monitor")
    return run, out, log


@pytest.fixture
def ws(workspace_url):
    workspace = Workspace.open(workspace_url)
    yield workspace
    workspace.close()


@pytest.mark.slow
def test_labelled_accuracy_falling_against_the_reference_run_is_a_quality_alert(ws):
    _project(ws, "label_flip", 0.3)
    first, out, log = _serve(ws)  # batch 0: labels as they were; the reference for v1
    assert not out["alert"]["raised"]
    assert "labelled accuracy: this run is the reference for v1" in log
    reference = out["report"].values["accuracy"]
    assert reference > 0.9

    # Batch 1: 30% of the labels changed (concept drift); no input column moved.
    second, out, log = _serve(ws)
    values = out["report"].values
    assert values["drifted_features"] == 0 and values["prediction_psi"] < 0.2
    assert values["accuracy_reference"] == pytest.approx(reference)
    assert values["accuracy_drop"] == pytest.approx(reference - values["accuracy"])
    assert 0.2 < values["accuracy_drop"] < 0.4
    assert out["alert"]["raised"]
    [reason] = out["alert"]["reasons"]
    # The reference run is named as people know it: the project's run #2 (its first serving).
    assert reason.startswith(
        f"labelled accuracy fell {values['accuracy_drop']:.3f} against run #2 ("
    )
    [alert] = TriggerStore(ws.db).alerts(ws.projects.get("p").id)
    assert (alert.kind, alert.run_id) == ("quality", second.id)
    assert ws.metrics.latest(second.id)["monitor/accuracy_drop"] == pytest.approx(
        values["accuracy_drop"]
    )


@pytest.mark.slow
def test_the_decay_check_can_be_turned_off(ws):
    _project(ws, "label_flip", 0.3, {"max_accuracy_drop": 0.0})
    _serve(ws)
    _, out, _ = _serve(ws)
    assert not out["alert"]["raised"] and "accuracy_drop" not in out["report"].values


@pytest.mark.slow
def test_answers_that_shift_are_prediction_drift(ws):
    # Every column moves 1.5 standard deviations and the answers shift with them; feature
    # drift alone may not alert here (max_drifted_share 1.0), the answers' drift does.
    _project(ws, "shift", 1.5, {"max_drifted_share": 1.0, "max_accuracy_drop": 0.0})
    _serve(ws)
    _, out, log = _serve(ws)
    values = out["report"].values
    assert values["prediction_psi"] > 0.2
    assert out["report"].details["prediction"]["test"] == "chi2"
    assert out["alert"]["raised"]
    assert (
        f"prediction distribution drifted (PSI {values['prediction_psi']:.3f})"
        in (out["alert"]["reasons"])
    )
    assert "prediction PSI" in log
