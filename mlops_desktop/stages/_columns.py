"""The single-column leakage check of Load data.

A column that predicts the target almost perfectly on its own, far better than every other
column, is usually a leak (an outcome recorded after the fact, a row number sorted by the
target). Each feature column gets a small cross-validated one-column model on a sample of
the rows; a column far above the rest is reported in the run log with its score.
"""

from __future__ import annotations

from typing import Any

from mlops_desktop.core.execution import CLASSIFICATION, DatasetValue

SAMPLE_ROWS = 2000  # rows the one-column models see
SUSPICIOUS = 0.95  # a one-column score at least this high (balanced accuracy or R²) ...
MARGIN = 0.15  # ... and this far above the next best column is reported


def single_column_scores(dataset: DatasetValue, n_jobs: int = 1) -> dict[str, float]:
    """Cross-validated score of a depth-4 tree on each feature column alone (balanced
    accuracy for classification, R² for regression)."""
    import numpy as np
    import pandas as pd
    from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    frame = dataset.frame
    if len(frame) > SAMPLE_ROWS:
        frame = frame.sample(SAMPLE_ROWS, random_state=0)
    y = frame[dataset.target]
    classify = dataset.task == CLASSIFICATION
    if classify and y.value_counts().min() < 3:
        return {}
    model: Any = (DecisionTreeClassifier if classify else DecisionTreeRegressor)(
        max_depth=4, random_state=0
    )
    folds = (
        StratifiedKFold(3, shuffle=True, random_state=0)
        if classify
        else KFold(3, shuffle=True, random_state=0)
    )
    scoring = "balanced_accuracy" if classify else "r2"
    scores: dict[str, float] = {}
    for col, role in dataset.roles.items():
        if role != "feature" or col not in frame.columns:
            continue
        s = frame[col]
        if pd.api.types.is_numeric_dtype(s):
            x = s.astype(float).fillna(s.median() if s.notna().any() else 0.0)
        else:
            x = pd.Series(pd.factorize(s.astype(str), sort=True)[0], index=s.index).astype(float)
        values = x.to_numpy().reshape(-1, 1)
        scores[col] = float(np.mean(cross_val_score(model, values, y, cv=folds, scoring=scoring)))
    return scores


def leakage_warnings(dataset: DatasetValue, n_jobs: int = 1) -> list[str]:
    """Log lines for columns that predict the target suspiciously well on their own."""
    scores = single_column_scores(dataset, n_jobs)
    if len(scores) < 2:
        return []
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    (best, top), (_, second) = ranked[0], ranked[1]
    if top >= SUSPICIOUS and top - second >= MARGIN:
        what = "balanced accuracy" if dataset.task == CLASSIFICATION else "R²"
        return [
            f"warning: possible leak: column '{best}' alone predicts '{dataset.target}' with "
            f"{what} {top:.3f} (next best column {second:.3f}); check it is known at "
            "prediction time, or set its role to ignore"
        ]
    return []
