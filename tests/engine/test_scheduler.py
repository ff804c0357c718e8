"""The scheduler on real scikit-learn stages and small test stages (synchronous and threads)."""

from __future__ import annotations

import threading
import time

import pytest
from engine_helpers import build_with, classification_pipeline
from stagefns import CALLS, make_registry

from mlops_desktop.core.entities import RunStatus, StageStatus
from mlops_desktop.core.errors import GraphError
from mlops_desktop.core.operations import RemoveLink, SetParams
from mlops_desktop.core.registry import default_registry
from mlops_desktop.engine.cache import MemoryCache
from mlops_desktop.engine.executors import SynchronousExecutor, ThreadExecutor
from mlops_desktop.engine.scheduler import Scheduler, plan

REG = make_registry()


def statuses(result) -> dict[str, str]:
    return {n: r.status.value for n, r in result.stages.items()}


def make(artifacts, listener, executor=None, cache=None, registry=None):
    return Scheduler(
        registry or default_registry(),
        artifacts,
        cache if cache is not None else MemoryCache(),
        executor or SynchronousExecutor(),
        listener,
    )


def test_full_run_then_all_cached_then_forced(artifacts, listener):
    cache = MemoryCache()
    sched = make(artifacts, listener, cache=cache)
    pipeline = classification_pipeline()
    first = sched.run(pipeline, 1)
    assert first.status is RunStatus.SUCCEEDED, first.message
    assert set(statuses(first).values()) == {"succeeded"}
    assert first.stages["eval"].outputs["metrics"] in artifacts.blobs
    assert any(k == "accuracy" and v > 0.8 for _, k, _, v in listener.metrics)

    puts = artifacts.puts
    first_metrics = sorted(p for p in listener.metrics if p[1] == "accuracy")
    listener.metrics.clear()
    second = sched.run(pipeline, 2)
    assert sorted(p for p in listener.metrics if p[1] == "accuracy") == first_metrics  # replayed
    assert (
        "served from the cache" in second.stages["eval"].log
        and "accuracy" in second.stages["eval"].log
    )
    assert set(statuses(second).values()) == {"cached"}
    assert artifacts.puts == puts  # nothing recomputed or re-read
    assert {n: r.outputs for n, r in second.stages.items()} == {
        n: r.outputs for n, r in first.stages.items()
    }

    forced = sched.run(pipeline, 3, force=True)
    assert set(statuses(forced).values()) == {"succeeded"}


def test_changed_parameter_recomputes_that_stage_and_downstream_only(artifacts, listener):
    sched = make(artifacts, listener)
    pipeline = classification_pipeline()
    sched.run(pipeline, 1)
    pipeline.apply(SetParams("train", {"C": 0.5}))
    result = sched.run(pipeline, 2)
    assert statuses(result) == {
        "load": "cached",
        "split": "cached",
        "fe": "cached",
        "train": "succeeded",
        "eval": "succeeded",
        "gate": "succeeded",
    }


def test_run_one_node_runs_only_what_it_needs(artifacts, listener):
    sched = make(artifacts, listener)
    pipeline = classification_pipeline()
    result = sched.run(pipeline, 1, nodes={"train"})
    assert set(result.stages) == {"load", "split", "fe", "train"}
    assert result.status is RunStatus.SUCCEEDED
    again = sched.run(pipeline, 2, nodes={"eval"})
    assert statuses(again) == {
        "load": "cached",
        "split": "cached",
        "fe": "cached",
        "train": "cached",
        "eval": "succeeded",
    }


def test_run_from_node_recomputes_it_and_downstream(artifacts, listener):
    sched = make(artifacts, listener)
    pipeline = classification_pipeline()
    sched.run(pipeline, 1)
    result = sched.run(pipeline, 2, from_node="train")
    assert statuses(result) == {
        "load": "cached",
        "split": "cached",
        "fe": "cached",
        "train": "succeeded",
        "eval": "succeeded",
        "gate": "succeeded",
    }


def test_plan_and_unknown_node():
    pipeline = classification_pipeline()
    selected, targets = plan(pipeline, from_node="eval")
    assert targets == {"eval", "gate"}
    assert selected == {"load", "split", "fe", "train", "eval", "gate"}
    with pytest.raises(GraphError):
        plan(pipeline, nodes={"nope"})


def test_failure_skips_downstream_and_independent_branch_finishes(artifacts, listener):
    pipeline = build_with(
        REG,
        [
            ("bad", "boom", {}),
            ("after", "sink", {}),
            ("ok", "wait", {"value": 7}),
            ("ok2", "sink", {}),
        ],
        [("bad", "out", "after", "a"), ("ok", "out", "ok2", "a")],
    )
    result = make(artifacts, listener, registry=REG).run(pipeline, 1)
    assert result.status is RunStatus.FAILED
    assert statuses(result) == {
        "bad": "failed",
        "after": "skipped",
        "ok": "succeeded",
        "ok2": "succeeded",
    }
    bad = result.stages["bad"]
    assert "ZeroDivisionError: division by zero in a stage" == bad.error
    assert "Traceback (most recent call last)" in bad.log and "about to break" in bad.log
    assert "'Boom' failed" in result.stages["after"].error
    assert "'Boom' failed" in result.message


def test_failed_stage_is_not_cached(artifacts, listener):
    pipeline = build_with(REG, [("bad", "boom", {})], [])
    sched = make(artifacts, listener, registry=REG)
    sched.run(pipeline, 1)
    assert statuses(sched.run(pipeline, 2)) == {"bad": "failed"}


def test_unconnected_required_input_and_bad_parameter_fail_the_stage(artifacts, listener):
    pipeline = classification_pipeline()
    pipeline.apply(
        RemoveLink(next(lk.id for lk in pipeline.incoming("eval") if lk.target_port == "split"))
    )
    result = make(artifacts, listener).run(pipeline, 1)
    assert result.stages["eval"].status is StageStatus.FAILED
    assert "input 'split' of 'Evaluate' is not connected" in result.stages["eval"].error
    assert result.stages["train"].status is StageStatus.SUCCEEDED

    doc_pipeline = classification_pipeline()
    node = doc_pipeline.node("split")
    doc_pipeline._nodes["split"] = node.with_(
        params={**node.params, "test_size": 5.0}
    )  # as a hand-edited file
    result = make(artifacts, listener).run(doc_pipeline, 2)
    assert "parameter 'test_size' of Split: must be <= 0.9" in result.stages["split"].error


def test_parallel_branches_share_the_cores(artifacts, listener):
    CALLS.clear()
    pipeline = build_with(
        REG,
        [
            ("a", "wait", {"seconds": 0.4}),
            ("b", "wait", {"seconds": 0.4}),
            ("c", "wait", {"value": 2}),
        ],
        [("a", "out", "c", "a"), ("b", "out", "c", "b")],
    )
    with ThreadExecutor(workers=2, cores=2) as executor:
        started = time.perf_counter()
        result = make(artifacts, listener, executor=executor, registry=REG).run(pipeline, 1)
        took = time.perf_counter() - started
    assert result.status is RunStatus.SUCCEEDED
    assert took < 0.75, f"branches did not run in parallel ({took:.2f} s)"
    threads = dict(CALLS)
    assert threads["a"] == threads["b"] == 1  # two at once: one core each
    assert threads["c"] == 2  # alone: all cores
    assert artifacts.blobs  # c's output: 1 + 1 + 2
    from mlops_desktop.engine import serialize

    assert serialize.loads(artifacts.blobs[result.stages["c"].outputs["out"]]) == 4


def test_cancel_stops_within_a_second(artifacts, listener):
    pipeline = build_with(
        REG,
        [("slow", "wait", {"seconds": 30}), ("next", "sink", {})],
        [("slow", "out", "next", "a")],
    )
    with ThreadExecutor(workers=2) as executor:
        sched = make(artifacts, listener, executor=executor, registry=REG)
        box = {}
        worker = threading.Thread(target=lambda: box.setdefault("r", sched.run(pipeline, 1)))
        worker.start()
        time.sleep(0.3)
        asked = time.perf_counter()
        sched.cancel()
        worker.join(5)
        took = time.perf_counter() - asked
    assert not worker.is_alive()
    assert took < 1.0
    result = box["r"]
    assert result.status is RunStatus.CANCELLED
    assert statuses(result) == {"slow": "cancelled", "next": "cancelled"}
    assert ("run_finished", "cancelled", "the run was cancelled") in listener.events


def test_model_gate_refusal_keeps_the_model_out_and_says_why(artifacts, listener):
    # A refusal is the gate doing its work: the run is "kept out", not failed.
    pipeline = classification_pipeline(rules="accuracy >= 0.9999")
    result = make(artifacts, listener).run(pipeline, 1)
    assert result.stages["gate"].status is StageStatus.SUCCEEDED
    assert result.status is RunStatus.KEPT_OUT and not result.succeeded
    assert result.message.startswith("kept out: model gate not passed: accuracy >= 0.9999")
    assert ("run_finished", "kept_out", result.message) in listener.events


def test_gate_failure_skips_stage_after_the_gate(artifacts, listener):
    pipeline = build_with(
        REG,
        [
            ("load", "load_data", {"dataset": "iris"}),
            ("split", "split", {}),
            ("train", "train", {"estimator": "logistic_regression"}),
            ("eval", "evaluate", {"permutation_importance": False}),
            ("gate", "model_gate", {"rules": "accuracy > 1.5"}),
            ("after", "sink", {}),
        ],
        [
            ("load", "dataset", "split", "dataset"),
            ("split", "split", "train", "split"),
            ("train", "model", "eval", "model"),
            ("split", "split", "eval", "split"),
            ("train", "model", "gate", "model"),
            ("eval", "metrics", "gate", "metrics"),
            ("gate", "model", "after", "a"),
        ],
    )
    sched = make(artifacts, listener, registry=REG)
    for run_id in (1, 2):  # the second time the gate comes from the cache and still blocks
        result = sched.run(pipeline, run_id)
        assert result.stages["after"].status is StageStatus.SKIPPED
        assert "model gate not passed: accuracy > 1.5" in result.stages["after"].error
        assert result.status is RunStatus.KEPT_OUT
    assert result.stages["gate"].status is StageStatus.CACHED


def test_metrics_reach_the_listener(artifacts, listener):
    pipeline = build_with(REG, [("m", "many_metrics", {"value": 1000})], [])
    make(artifacts, listener, registry=REG).run(pipeline, 1)
    loss = [p for p in listener.metrics if p[1] == "loss"]
    assert len(loss) == 1000 and loss[0][2:] == (0, 1.0) and loss[-1][2:] == (999, 0.0)
    assert [p[2] for p in listener.metrics if p[1] == "single"] == list(range(10))


def test_runs_on_one_scheduler_keep_their_own_state(artifacts, listener):
    """A run's state lives in that run's own object: the scheduler keeps none of it after
    the run, and two runs on one scheduler at the same time each see only their stages."""
    left = build_with(
        REG,
        [("a", "wait", {"seconds": 0.3, "value": 1}), ("a2", "sink", {})],
        [("a", "out", "a2", "a")],
    )
    right = build_with(
        REG,
        [("b", "wait", {"seconds": 0.3, "value": 2}), ("bad", "boom", {})],
        [("b", "out", "bad", "a")],
    )
    results: dict[str, object] = {}
    with ThreadExecutor(workers=4) as executor:
        sched = make(artifacts, listener, executor=executor, registry=REG)
        before = dict(vars(sched))
        runs = [
            threading.Thread(target=lambda: results.setdefault("left", sched.run(left, 1))),
            threading.Thread(target=lambda: results.setdefault("right", sched.run(right, 2))),
        ]
        for thread in runs:
            thread.start()
        for thread in runs:
            thread.join(10)
    assert vars(sched) == before  # nothing of either run left on the scheduler
    assert statuses(results["left"]) == {"a": "succeeded", "a2": "succeeded"}
    assert results["left"].status is RunStatus.SUCCEEDED
    assert results["left"].message == "2 stages, 0 from the cache"
    assert statuses(results["right"]) == {"b": "succeeded", "bad": "failed"}
    assert results["right"].status is RunStatus.FAILED
    assert results["right"].message.startswith("'Boom' failed: ZeroDivisionError")
    # The two runs overlapped (each waits 0.3 s): both stages were started before either ended.
    order = [e for e in listener.events if e[0] in ("started", "finished") and e[1] in ("a", "b")]
    assert [e[0] for e in order[:2]] == ["started", "started"], order
