"""The arithmetic behind the operate stages: PSI and KS drift, the traffic simulator's drifts,
and the A/B comparison's confidence intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mlops_desktop.stages._drift import categorical_psi, feature_drift, frame_drift, numeric_psi
from mlops_desktop.stages._experiment import compare_groups
from mlops_desktop.stages._simulate import DriftError, apply_drift, sample_rows


def test_psi_is_small_for_same_distribution_and_grows_with_shift():
    rng = np.random.default_rng(0)
    ref = rng.normal(size=5000)
    same = numeric_psi(ref, rng.normal(size=5000))
    shifts = [numeric_psi(ref, rng.normal(loc=s, size=5000)) for s in (0.25, 0.5, 1.0)]
    assert same < 0.01
    assert shifts == sorted(shifts) and shifts[1] > 0.2  # half a standard deviation: drift
    # the textbook formula on explicit shares
    expected = (0.9 - 0.5) * np.log(0.9 / 0.5) + (0.1 - 0.5) * np.log(0.1 / 0.5)
    assert numeric_psi(
        np.repeat([0.0, 1.0], 50), np.repeat([0.0, 1.0], [90, 10]), bins=2
    ) == pytest.approx(expected)


def test_psi_of_constant_reference_and_empty_input():
    assert numeric_psi(np.ones(100), np.ones(50)) == pytest.approx(0.0)
    assert numeric_psi(np.ones(100), np.full(50, 2.0)) > 1.0
    assert numeric_psi(np.array([]), np.ones(3)) == 0.0


def test_feature_drift_uses_ks_for_numbers_and_chi2_for_categories():
    rng = np.random.default_rng(1)
    ref, cur = rng.normal(size=400), rng.normal(loc=1.0, size=300)
    drift = feature_drift("x", pd.Series(ref), pd.Series(cur))
    expected = stats.ks_2samp(ref, cur)
    assert drift.test == "ks" and drift.drifted
    assert drift.statistic == pytest.approx(expected.statistic) and drift.p_value == pytest.approx(
        expected.pvalue
    )
    calm = feature_drift("x", pd.Series(ref), pd.Series(rng.normal(size=300)))
    assert not calm.drifted
    cats = feature_drift("c", pd.Series(["a", "b"] * 200), pd.Series(["a", "b", "new", "new"] * 50))
    assert cats.test == "chi2" and cats.drifted
    psi, ref_counts, cur_counts = categorical_psi(["a", "a", "b"], ["a", "c"])
    assert list(ref_counts) == [2, 1, 0] and list(cur_counts) == [1, 0, 1] and psi > 0


def test_frame_drift_compares_shared_columns_in_reference_order():
    ref = pd.DataFrame({"b": [1.0, 2, 3, 4] * 25, "a": [0.0, 1] * 50, "only_ref": 1.0})
    cur = pd.DataFrame({"a": [0.0, 1] * 50, "b": [1.0, 2, 3, 4] * 25})
    assert [d.feature for d in frame_drift(ref, cur)] == ["b", "a"]


def test_shift_and_scale_drift_by_reference_deviation():
    rng = np.random.default_rng(2)
    X = pd.DataFrame({"x": rng.normal(10, 2, 1000), "k": ["a"] * 1000})
    shifted, _ = apply_drift(X, None, "shift", 1.5, reference=X)
    assert shifted["x"].mean() - X["x"].mean() == pytest.approx(1.5 * X["x"].std(ddof=0))
    assert (shifted["k"] == "a").all() and X["x"].mean() == pytest.approx(10, abs=0.2)  # copy
    scaled, _ = apply_drift(X, None, "scale", 1.0)
    assert scaled["x"].std() == pytest.approx(2 * X["x"].std())
    only, _ = apply_drift(X.assign(z=X["x"]), None, "shift", 1.0, columns=["z"])
    assert only["x"].equals(X["x"]) and not only["z"].equals(X["x"])
    same, _ = apply_drift(X, None, "shift", 0.0)
    assert same.equals(X)


def test_new_category_and_label_flip():
    X = pd.DataFrame({"colour": ["red", "blue"] * 50, "v": np.arange(100.0)})
    y = pd.Series([0, 1, 2, 0] * 25)
    drifted, _ = apply_drift(X, y, "new_category", 0.3, rng=np.random.default_rng(0))
    assert (drifted["colour"] == "new-colour").sum() == 30
    with pytest.raises(DriftError, match="needs a text or categorical column"):
        apply_drift(X[["v"]], y, "new_category", 0.3)
    _, flipped = apply_drift(X, y, "label_flip", 0.2, task="classification")
    changed = (flipped.to_numpy() != y.to_numpy()).sum()
    assert changed == 20 and set(flipped) <= {0, 1, 2}
    _, mirrored = apply_drift(X, y.astype(float), "label_flip", 1.0, task="regression")
    assert np.allclose(mirrored, 2 * y.mean() - y)
    with pytest.raises(DriftError, match="unknown drift"):
        apply_drift(X, y, "rotate", 1.0)


def test_sample_rows():
    rng = np.random.default_rng(0)
    rows = sample_rows(10, 5, rng)
    assert len(set(rows)) == 5 and rows.max() < 10
    assert len(sample_rows(3, 50, rng)) == 50
    with pytest.raises(DriftError):
        sample_rows(0, 5, rng)


def test_compare_groups_interval_covers_the_true_difference():
    rng = np.random.default_rng(3)
    covered = 0
    for _ in range(100):
        a = rng.binomial(1, 0.80, 400).astype(float)
        b = rng.binomial(1, 0.85, 400).astype(float)
        result = compare_groups(a, b, rng=rng, resamples=300)
        covered += result.ci_low <= 0.05 <= result.ci_high
        assert result.difference == pytest.approx(b.mean() - a.mean())
    assert 88 <= covered <= 100  # a 95% interval
    clear = compare_groups(np.zeros(200), np.r_[np.ones(150), np.zeros(50)])
    assert clear.verdict == "B is better" and clear.p_value < 1e-6
    assert clear.boot_low > 0.6 and clear.ci_low > 0.6
    with pytest.raises(ValueError):
        compare_groups([1.0], [1.0, 0.0])


def test_serving_routes_canary_and_shadow_traffic():
    from sklearn.dummy import DummyClassifier

    from mlops_desktop.core.execution import ModelValue
    from mlops_desktop.core.operate_entities import DeploymentValue
    from mlops_desktop.stages._serving import _score

    X = pd.DataFrame({"a": np.arange(2000.0)})
    y = np.zeros(2000)
    old = ModelValue(
        DummyClassifier(strategy="constant", constant=0).fit(X, y), "classification", ["a"]
    )
    new = ModelValue(
        DummyClassifier(strategy="constant", constant=1).fit(X, y + 1), "classification", ["a"]
    )
    frame = X.copy()
    _score(frame, X, DeploymentValue(7, "production", "canary", 0.25, "m", 2, new, old, 1))
    share = (frame["model_version"] == 2).mean()
    assert 0.22 < share < 0.28
    assert ((frame["y_pred"] == 1) == (frame["model_version"] == 2)).all()
    frame = X.copy()
    _score(frame, X, DeploymentValue(8, "production", "shadow", 1.0, "m", 2, new, old, 1))
    assert (frame["y_pred"] == 0).all() and (frame["shadow_pred"] == 1).all()
    assert (frame["model_version"] == 1).all()  # the primary answers; the shadow is logged
    frame = X.copy()
    _score(frame, X, DeploymentValue(9, "production", "canary", 0.25, "m", 2, new))
    assert (frame["model_version"] == 2).all()  # nothing else serves: the canary takes all
    assert (frame["latency_ms"] >= 0).all()


def _monitor(reference, served, y_ref):
    from mlops_desktop.core.execution import PredictionsValue, SplitValue
    from tests.stages.stage_helpers import Harness

    split = SplitValue(reference, reference.iloc[:0], y_ref, y_ref[:0], task="classification")
    frame = served.assign(y_pred=np.resize(y_ref, len(served)), latency_ms=0.01)
    harness = Harness()
    out = harness.run(
        "monitor",
        {"reference": split, "predictions": PredictionsValue(frame, "classification")},
    )
    return harness, out


def test_monitor_flags_a_one_hot_shift_and_a_new_category():
    rng = np.random.default_rng(0)
    n_ref, n_cur = 600, 200
    reference = pd.DataFrame(
        {
            "x": rng.normal(size=n_ref),
            "island_Biscoe": (rng.random(n_ref) < 0.1).astype(float),
            "colour": rng.choice(["red", "blue"], size=n_ref),
        }
    )
    served = pd.DataFrame(
        {
            "x": rng.normal(size=n_cur),
            "island_Biscoe": (rng.random(n_cur) < 0.9).astype(float),
            "colour": np.where(
                rng.random(n_cur) < 0.2, "green", rng.choice(["red", "blue"], n_cur)
            ),
        }
    )
    harness, out = _monitor(reference, served, rng.integers(0, 2, n_ref))
    features = {f["feature"]: f for f in out["report"].details["features"]}
    onehot = features["island_Biscoe"]
    # Quantile edges of a 0/1 column collapse: it is binned by value, and its PSI is large.
    assert onehot["bins"] == "category" and onehot["test"] == "chi2"
    assert onehot["drifted"] and onehot["psi"] > 2.0 and onehot["p_value"] < 1e-50
    assert features["colour"]["new_categories"] == ["green"]
    assert 0.1 < features["colour"]["new_category_share"] < 0.3
    assert not features["x"]["drifted"] and features["x"]["bins"] == "quantile"
    assert out["alert"]["raised"]
    assert any(
        "categories never seen in training: colour (green" in r for r in out["alert"]["reasons"]
    )
    assert "island_Biscoe: PSI" in harness.log and "p =" in harness.log


def test_a_column_drifts_on_its_effect_size_with_the_p_value_shown():
    # A large PSI on a small sample drifts even when the test is not sure (no hidden AND).
    ref = pd.Series([0.0] * 90 + [1.0] * 10)
    cur = pd.Series([0.0] * 3 + [1.0] * 3)
    drift = feature_drift("flag", ref, cur)
    assert drift.drifted and drift.p_value > 0.01 and drift.bins == "category"


def test_traffic_batches_repeat_no_row_before_every_row_was_drawn():
    from mlops_desktop.stages._simulate import sample_rows

    rows = sample_rows(143, 200, np.random.default_rng(0))
    assert len(rows) == 200 and len(set(rows[:143])) == 143
    assert len(set(rows[143:])) == 57
