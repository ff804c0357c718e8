"""Promote or roll back a canary on what production taught.

Once the canary serving an environment has answered ``min_rows`` rows whose labels have
arrived (rows served by earlier runs of the pipeline since the canary was deployed), its
error rate on them is compared with the primary's on the rows the primary answered in the
same runs. No worse: the canary becomes the primary (a new direct deployment, the alias
moves, the reason names both error rates). Worse: the canary deployment is rolled back and
the primary keeps all traffic. Fewer rows: nothing changes yet. Each decision is a
deployment event in the append-only history.
"""

from __future__ import annotations

from typing import Any

PRED, TRUE, VERSION = "y_pred", "y_true", "model_version"


def _error(frame: Any) -> float:
    """Share of wrong answers (classification) or mean absolute error (numbers)."""
    import numpy as np

    pred, true = frame[PRED].to_numpy(), frame[TRUE].to_numpy()
    numeric = np.issubdtype(np.asarray(true).dtype, np.floating)
    if numeric and len(np.unique(true)) > 20:
        return float(np.mean(np.abs(pred.astype(float) - true.astype(float))))
    return float(np.mean(pred != true))


def judge_canary(
    ops: Any, run_id: int, node_id: str, environment: str, min_rows: int
) -> dict[str, Any] | None:
    """Decide on the canary serving ``environment`` (None when no canary and primary serve
    it). The answer: ``decision`` ("promoted", "rolled back" or "waiting"), the rows judged
    and both error rates, and ``reason`` in words."""
    import pandas as pd

    run = ops._run(run_id)
    active = ops.deployments.active(run.project_id, environment)
    canary = next((d for d in active if d.strategy == "canary"), None)
    primary = next((d for d in active if d.strategy == "direct"), None)
    if canary is None or primary is None:
        return None
    since = canary.created_at
    frames = []
    for past_id, frame in ops.served_batches(run_id, node_id, 1, 0):
        past = ops.workspace.runs.get(past_id)
        started = past.started_at or past.created_at
        if started >= since and VERSION in frame.columns:
            frames.append(frame[[PRED, TRUE, VERSION]])
    rows = pd.concat(frames, ignore_index=True) if frames else None
    canary_rows = rows[rows[VERSION] == canary.version] if rows is not None else None
    primary_rows = rows[rows[VERSION] == primary.version] if rows is not None else None
    n_canary = 0 if canary_rows is None else len(canary_rows)
    n_primary = 0 if primary_rows is None else len(primary_rows)
    out: dict[str, Any] = {
        "canary_version": canary.version,
        "primary_version": primary.version,
        "canary_rows": n_canary,
        "primary_rows": n_primary,
    }
    if n_canary < min_rows or not n_primary:
        out["decision"] = "waiting"
        out["reason"] = (
            f"canary v{canary.version} has {n_canary} labelled rows of the {min_rows} "
            "needed to judge it"
        )
        return out
    assert canary_rows is not None and primary_rows is not None
    c_err, p_err = _error(canary_rows), _error(primary_rows)
    out.update(canary_error=c_err, primary_error=p_err)
    versus = (
        f"error {c_err:.3f} on {n_canary:,} labelled rows vs primary v{primary.version} "
        f"{p_err:.3f} on {n_primary:,}"
    )
    actor = f"run:{run_id}"
    if c_err <= p_err:
        reason = f"canary v{canary.version} promoted: {versus}"
        ops.deployments.promote_canary(
            run.project_id, environment, actor=actor, reason=reason, run_id=run_id
        )
        out["decision"] = "promoted"
    else:
        reason = f"canary v{canary.version} rolled back: {versus}"
        if ops.deployments.undo(canary.id, actor=actor, reason=reason):
            out["decision"] = "rolled back"
        else:  # something replaced it meanwhile
            out["decision"] = "waiting"
            reason = f"canary v{canary.version} no longer serves: nothing to roll back"
    out["reason"] = reason
    return out
