"""The Production feedback stage: what production taught, added to the training data.

Rows a Serve stage scored in earlier runs of the same pipeline come back with their labels
once the labels have arrived (``label_delay_runs`` runs later). The stage gathers the
labelled rows of the latest ``window_runs`` such runs (the window policy), keeps them as a
dataset of their own (content-hashed, each row naming the run that served it and the model
version that answered, so a model trained on it traces back to the deployment), and adds
them to the split: most to the training part and ``test_share`` of them, drawn at random,
to the test part, so the gate judges the candidate and the champion on production rows too.
"""

from __future__ import annotations

from typing import Any

from mlops_desktop.core.execution import DatasetValue, SplitValue, StageContext
from mlops_desktop.stages._operate_common import as_frame, backend

SERVED_RUN, VERSION, TRUE = "served_run", "model_version", "y_true"


def production_feedback_cache_token(params: dict[str, Any]) -> None:
    """It reads what earlier runs served: always run."""
    return None


def production_feedback(
    ctx: StageContext, inputs: dict[str, Any], params: dict[str, Any]
) -> dict[str, Any]:
    import dataclasses

    import numpy as np
    import pandas as pd

    split: SplitValue = inputs["split"]
    registry = backend(ctx)
    node = params["serve_node"].strip() or "serve"
    batches = registry.served_batches(
        ctx.run_id, node, params["label_delay_runs"], params["window_runs"]
    )
    names = [str(c) for c in as_frame(split.X_train, split.feature_names).columns]
    frames = []
    for run_id, frame in batches:
        if not all(n in frame.columns for n in names):
            ctx.log(f"run {run_id}: its served rows lack the training columns; left out")
            continue
        part = frame[[*names, TRUE]].copy()
        part[SERVED_RUN] = run_id
        part[VERSION] = frame[VERSION].to_numpy() if VERSION in frame.columns else -1
        frames.append(part)
    target = split.target or "target"
    if frames:
        rows = pd.concat(frames, ignore_index=True).rename(columns={TRUE: target})
    else:
        rows = pd.DataFrame(columns=[*names, target, SERVED_RUN, VERSION])
    digest = str(pd.util.hash_pandas_object(rows, index=False).sum()) if len(rows) else ""
    runs = sorted({int(r) for r in rows[SERVED_RUN]}) if len(rows) else []
    ctx.log_metric("feedback_rows", float(len(rows)))
    ctx.log_metric("feedback_runs", float(len(runs)))
    ctx.log_metric("feedback_last_run", float(max(runs, default=0)))
    labelled = DatasetValue(
        rows,
        target,
        split.task,
        f"production feedback of runs {', '.join(map(str, runs)) or 'none'}",
        digest,
        {str(c): str(t) for c, t in rows.dtypes.items()},
    )
    if not len(rows):
        ctx.log("no labelled production rows yet: the split passes unchanged")
        return {"split": split, "dataset": labelled}
    rng = np.random.default_rng(params["seed"])
    to_test = rng.random(len(rows)) < params["test_share"]
    X_rows = rows[names]
    y_rows = rows[target].to_numpy()

    def joined(X: Any, y: Any, mask: Any) -> tuple[Any, Any]:
        X = as_frame(X, split.feature_names)
        X_new = pd.concat([X, X_rows[mask].set_axis(X.columns, axis=1)], ignore_index=True)
        y_new = np.concatenate([np.asarray(y), y_rows[mask].astype(np.asarray(y).dtype)])
        return X_new, y_new

    X_train, y_train = joined(split.X_train, split.y_train, ~to_test)
    X_test, y_test = joined(split.X_test, split.y_test, to_test)
    versions = sorted({int(v) for v in rows[VERSION]})
    ctx.log(
        f"{len(rows):,} labelled production rows from runs {', '.join(map(str, runs))} "
        f"(served by version(s) {', '.join(f'v{v}' for v in versions)}): "
        f"{int((~to_test).sum()):,} added to training, {int(to_test.sum()):,} to the test part; "
        f"dataset {digest[:12]}"
    )
    out = dataclasses.replace(
        split,
        X_train=X_train,
        y_train=y_train,
        X_test=X_test,
        y_test=y_test,
        raw_test=X_test if split.raw_test is not None else None,
        dataset_hash=f"{split.dataset_hash}+feedback:{digest}",
    )
    return {"split": out, "dataset": labelled}
