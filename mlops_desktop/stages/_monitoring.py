"""The Monitor stage's judgement: per-feature drift, prediction drift, labelled quality and
latency of a batch of served predictions against the training reference, and the reasons
(if any) to raise an alert."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlops_desktop.core.execution import CLASSIFICATION
from mlops_desktop.stages._drift import FeatureDrift, feature_drift, frame_drift


@dataclass
class MonitorReport:
    features: list[FeatureDrift]
    values: dict[str, float]
    reasons: list[str] = field(default_factory=list)
    kind: str = ""  # the first reason's kind: drift, prediction_drift, quality, latency
    details: dict[str, Any] = field(default_factory=dict)

    def add_reason(self, kind: str, text: str) -> None:
        """One more reason to alert (the first reason names the alert's kind)."""
        self.reasons.append(text)
        self.kind = self.kind or kind
        self.values["alert"] = 1.0
        self.details.setdefault("reasons", []).append(text)

    @property
    def drifted(self) -> list[str]:
        return [f.feature for f in self.features if f.drifted]

    @property
    def summary(self) -> str:
        v = self.values
        text = (
            f"{len(self.drifted)} of {len(self.features)} features drifted "
            f"(share {v['drift_share']:.2f}, largest PSI {v['psi_max']:.3f}); "
            f"prediction PSI {v['prediction_psi']:.3f}"
        )
        if "accuracy" in v:
            text += f"; labelled accuracy {v['accuracy']:.3f}"
        if "rmse" in v:
            text += f"; labelled RMSE {v['rmse']:.4g}"
        return text + f"; latency {v['latency_ms_mean']:.4f} ms per row"


def assess(
    reference: Any, frame: Any, y_reference: Any, task: str, params: dict[str, Any]
) -> MonitorReport:
    """Judge ``frame`` (served rows: features, ``y_pred``, optional ``y_true`` and
    ``latency_ms``) against ``reference`` (training features) and its labels."""
    import pandas as pd

    psi_t, p_t = params["psi_threshold"], params["ks_pvalue"]
    features = frame_drift(
        reference,
        frame[list(reference.columns)],
        bins=params["bins"],
        psi_threshold=psi_t,
        p_threshold=p_t,
    )
    drifted = [f for f in features if f.drifted]
    share = len(drifted) / len(features) if features else 0.0
    ref_labels = pd.Series(np.asarray(y_reference))
    served = pd.Series(np.asarray(frame["y_pred"]))
    if task == CLASSIFICATION:
        ref_labels, served = ref_labels.astype("string"), served.astype("string")
    pred = feature_drift(
        "prediction", ref_labels, served, bins=params["bins"], psi_threshold=psi_t, p_threshold=p_t
    )
    values: dict[str, float] = {
        "drift_share": share,
        "drifted_features": float(len(drifted)),
        "psi_max": max((f.psi for f in features), default=0.0),
        "psi_mean": float(np.mean([f.psi for f in features])) if features else 0.0,
        "prediction_psi": pred.psi,
        "prediction_p_value": pred.p_value,
        "rows": float(len(frame)),
        "latency_ms_mean": float(frame["latency_ms"].mean()) if "latency_ms" in frame else 0.0,
    }
    reasons: list[tuple[str, str]] = []
    if share > params["max_drifted_share"]:
        names = ", ".join(f.feature for f in drifted[:5]) + (" ..." if len(drifted) > 5 else "")
        reasons.append(("drift", f"{len(drifted)} of {len(features)} features drifted ({names})"))
    unseen = [f for f in features if f.new_categories]
    jumps = [f for f in features if f.missing_jump]
    values["new_category_columns"] = float(len(unseen))
    values["missing_jump_columns"] = float(len(jumps))
    if unseen:
        reasons.append(
            (
                "new_category",
                "categories never seen in training: "
                + "; ".join(
                    f"{f.feature} ({', '.join(f.new_categories[:3])}: "
                    f"{f.new_category_share:.0%} of rows)"
                    for f in unseen[:5]
                ),
            )
        )
    if jumps:
        reasons.append(
            (
                "missing",
                "missing share rose: "
                + "; ".join(
                    f"{f.feature} {f.missing_reference:.0%} -> {f.missing_current:.0%}"
                    for f in jumps[:5]
                ),
            )
        )
    if pred.drifted:
        reasons.append(
            ("prediction_drift", f"prediction distribution drifted (PSI {pred.psi:.3f})")
        )
    if "y_true" in frame.columns and len(frame):
        truth, guess = np.asarray(frame["y_true"]), np.asarray(frame["y_pred"])
        if task == CLASSIFICATION:
            values["accuracy"] = float(np.mean(truth.astype(str) == guess.astype(str)))
            if values["accuracy"] < params["min_accuracy"]:
                reasons.append(
                    (
                        "quality",
                        f"labelled accuracy {values['accuracy']:.3f} is below "
                        f"{params['min_accuracy']:g}",
                    )
                )
        else:
            values["rmse"] = float(
                np.sqrt(np.mean((truth.astype(float) - guess.astype(float)) ** 2))
            )
    if params["max_latency_ms"] > 0 and values["latency_ms_mean"] > params["max_latency_ms"]:
        reasons.append(
            (
                "latency",
                f"mean latency {values['latency_ms_mean']:.3f} ms per row "
                f"exceeds {params['max_latency_ms']:g} ms",
            )
        )
    values["alert"] = float(bool(reasons))
    details = {
        "features": [
            {
                "feature": f.feature,
                "psi": f.psi,
                "statistic": f.statistic,
                "p_value": f.p_value,
                "test": f.test,
                "drifted": f.drifted,
                "bins": f.bins,
                "new_categories": list(f.new_categories),
                "new_category_share": f.new_category_share,
                "missing_reference": f.missing_reference,
                "missing_current": f.missing_current,
            }
            for f in features
        ],
        "prediction": {"psi": pred.psi, "p_value": pred.p_value, "test": pred.test},
        "reasons": [text for _, text in reasons],
        "thresholds": {
            k: params[k]
            for k in (
                "psi_threshold",
                "ks_pvalue",
                "max_drifted_share",
                "min_accuracy",
                "max_accuracy_drop",
                "max_latency_ms",
            )
        },
    }
    return MonitorReport(
        features, values, [text for _, text in reasons], reasons[0][0] if reasons else "", details
    )
