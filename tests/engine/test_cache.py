"""Cache keys change exactly when a stage's type, version, parameters, inputs or file do."""

from __future__ import annotations

import os

from mlops_desktop.core.registry import default_registry
from mlops_desktop.engine.cache import cache_key

REG = default_registry()


def test_key_depends_on_params_inputs_and_version():
    spec = REG.get("train")
    params = spec.default_params()
    base = cache_key(spec, params, {"split": "a" * 64})
    assert base == cache_key(spec, dict(params), {"split": "a" * 64})
    assert base != cache_key(spec, {**params, "C": 2.0}, {"split": "a" * 64})
    assert base != cache_key(spec, params, {"split": "b" * 64})
    from dataclasses import replace

    assert base != cache_key(replace(spec, version=2), params, {"split": "a" * 64})


def test_file_change_changes_the_key_and_sql_is_never_cached(tmp_path):
    spec = REG.get("load_data")
    path = tmp_path / "d.csv"
    path.write_text("a,target\n1,0\n")
    params = {**spec.default_params(), "source": "file", "path": str(path)}
    first = cache_key(spec, params, {})
    path.write_text("a,target\n1,0\n2,1\n")
    os.utime(path, ns=(1, 1))
    assert cache_key(spec, params, {}) != first
    assert cache_key(spec, {**params, "source": "sql"}, {}) is None
