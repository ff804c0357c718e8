"""Champion against challenger for the model gate.

The champion is the model version serving an environment (its primary deployment, by
default in ``production``). The gate scores it on the same test rows as the candidate, with
the same metric code as the Evaluate stage, so its rules can name ``champion_<metric>``
(``accuracy > champion_accuracy + 0.005``). With no champion serving, each
``champion_<metric>`` falls back to ``baseline_<metric>`` and the gate says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mlops_desktop.core.execution import SplitValue, StageContext
from mlops_desktop.stages._operate_common import as_frame, optional_backend

PREFIX = "champion_"


@dataclass(slots=True)
class Champion:
    """The champion's metrics on the candidate's test rows, or why there is none."""

    values: dict[str, float] = field(default_factory=dict)
    version: int | None = None
    model_name: str = ""
    environment: str = ""
    deployment_id: int | None = None
    rows: int = 0
    note: str = ""

    @property
    def found(self) -> bool:
        return self.version is not None

    def details(self) -> dict[str, Any]:
        return {
            "found": self.found,
            "model": self.model_name,
            "version": self.version,
            "environment": self.environment,
            "deployment_id": self.deployment_id,
            "rows": self.rows,
            "metrics": dict(self.values),
            "note": self.note,
        }


def rows_for(model_features: list[str], split: SplitValue) -> Any:
    """The test rows in the columns ``model_features`` names: the split's test features, or
    its raw test columns when the model scores raw rows."""
    frame = as_frame(split.X_test, split.feature_names)
    names = [str(n) for n in model_features]
    if not names or all(n in frame.columns for n in names):
        return frame[names] if names else frame
    raw = split.raw_test
    if raw is not None:
        raw_frame = as_frame(raw)
        if all(n in raw_frame.columns for n in names):
            return raw_frame[names]
    missing = [n for n in names if n not in frame.columns][:5]
    raise KeyError(f"the test rows lack the champion's feature(s) {', '.join(missing)}")


def find_champion(
    ctx: StageContext, split: SplitValue | None, environment: str, positive: str = ""
) -> Champion:
    """Score the version serving ``environment`` on ``split``'s test rows (precision, recall,
    F1 and PR AUC for the class ``positive`` names: the candidate's positive class)."""
    from mlops_desktop.stages._operate_common import model_of
    from mlops_desktop.stages.portable_model import (
        model_positive_class,
        predict_with_scores,
        prediction_metrics,
    )

    registry = optional_backend(ctx)
    if registry is None:
        return Champion(note="this run has no model registry, so no champion")
    deployment = registry.active_deployment(ctx.run_id, environment)
    if deployment is None:
        return Champion(environment=environment, note=f"no model serves '{environment}' yet")
    champ = Champion(
        model_name=deployment.model_name,
        version=deployment.version,
        environment=environment,
        deployment_id=deployment.id,
    )
    if split is None:
        champ.version = None
        champ.note = (
            f"{deployment.model_name} v{deployment.version} serves '{environment}' but the "
            "gate has no test rows to score it on: connect the split Evaluate used"
        )
        return champ
    version = registry.version_by_id(deployment.model_version_id)
    model = model_of(version, registry.load_estimator(version))
    try:
        X = rows_for(list(model.feature_names), split)
        task = model.task or split.task
        y_pred, scores = predict_with_scores(model.estimator, X, task)
        pos = None
        if task == "classification":
            named = [c for c in getattr(model.estimator, "classes_", []) if str(c) == positive]
            pos = named[0] if named else model_positive_class(model.estimator, split.y_train)
        values = prediction_metrics(split.y_test, y_pred, scores, model.estimator, task, pos)
    except (KeyError, ValueError) as exc:
        champ.version = None
        champ.note = (
            f"{deployment.model_name} v{deployment.version} cannot score the test rows: "
            f"{str(exc.args[0] if exc.args else exc).splitlines()[0]}"
        )
        return champ
    champ.values = {str(k): float(v) for k, v in values.items()}
    champ.rows = len(X)
    return champ


def rule_values(
    metrics: dict[str, float], champion: Champion, names: set[str]
) -> tuple[dict[str, float], list[str]]:
    """The values the rules read: the candidate's metrics plus ``champion_<metric>``; and
    one note per champion name that fell back to the baseline."""
    values = dict(metrics)
    notes: list[str] = []
    for name in sorted(n for n in names if n.startswith(PREFIX)):
        metric = name[len(PREFIX) :]
        if champion.found and metric in champion.values:
            values[name] = champion.values[metric]
            continue
        fallback = f"baseline_{metric}"
        if fallback in metrics:
            values[name] = float(metrics[fallback])
            why = champion.note or f"the champion has no '{metric}'"
            notes.append(f"no champion to compare with ({why}): {name} falls back to {fallback}")
    return values, notes


def rule_names(tree: Any) -> set[str]:
    """Every metric name a parsed rule tree reads."""
    if tree[0] == "cmp":
        return {node[1] for node in (tree[1], tree[3]) if node[0] == "name"}
    found: set[str] = set()
    for part in tree[1]:
        found |= rule_names(part)
    return found
