"""Export a pipeline as a runnable Python script that needs only pandas and scikit-learn.

:func:`export_python` walks the stages in the scheduler's execution order and writes, for
each, the plain library calls the built-in stage makes, with the same parameters and seeds,
so the script prints the same metrics as a run in the app. The functions the script calls
are the stages' own: their source is copied unchanged from the stages' portable modules
(see :mod:`.codegen_source`); only script-specific helpers (printing, loading a user's
function) come from ``resources/codegen/helpers.py``. Stages that need the app itself (the
model registry, deployments, serving) become comments, and so do the stages that depend on
them. Exporting never imports or runs a Python-function stage's code.
"""

from __future__ import annotations

import inspect
import json
import keyword
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from mlops_desktop import __version__
from mlops_desktop.app.codegen_source import (
    embedded_code,
    helper_names,
    helper_sections,
    import_lines,
    portable_names,
)
from mlops_desktop.core.errors import FormatError
from mlops_desktop.core.graph import Node, Pipeline
from mlops_desktop.stages.portable_data import parse_roles

ON_VALIDATION = ("max_f1", "min_recall", "min_precision")  # thresholds chosen on validation rows

SUPPORTED = (
    "load_data",
    "validate_data",
    "split",
    "feature_engineering",
    "train",
    "tune",
    "evaluate",
    "model_gate",
    "production_feedback",
    "python_function",
)


# ------------------------------------------------------------------------------ values
@dataclass
class _Dataset:
    frame: str
    target: str  # the column name (known when the script is written)
    task: str  # the variable holding the task
    special: dict[str, str] = field(default_factory=dict)  # weight/time/group -> column


@dataclass
class _Split:
    X_train: str
    X_test: str
    y_train: str
    y_test: str
    X_val: str | None
    y_val: str | None
    task: str
    seed: int
    raw_test: str
    preprocessor: str = "None"  # the variable holding the unfitted preprocessing
    w_train: str = "None"
    w_val: str = "None"
    g_train: str = "None"  # the training rows' group values (a group column)
    t_train: str = "None"  # the training rows' time values (a time column)


@dataclass
class _Model:
    var: str
    task: str
    positive_class: str = ""  # the class Train was told is positive ("" for the default)


@dataclass
class _Var:
    """Any other value (metrics dict, transformer, report): just its variable."""

    var: str


@dataclass
class _Script:
    """The script being written: body lines, the functions it calls and names in use."""

    lines: list[str] = field(default_factory=list)
    helpers: list[str] = field(default_factory=list)
    names: set[str] = field(default_factory=set)

    def name(self, base: str) -> str:
        base = re.sub(r"\W+", "_", base).strip("_") or "value"
        if base[0].isdigit() or keyword.iskeyword(base):
            base = f"v_{base}"
        candidate, n = base, 2
        while candidate in self.names:
            candidate, n = f"{base}_{n}", n + 1
        self.names.add(candidate)
        return candidate

    def need(self, *helpers: str) -> None:
        for helper in helpers:
            if helper not in self.helpers:
                self.helpers.append(helper)

    def emit(self, *lines: str) -> None:
        self.lines.extend(lines)


# ------------------------------------------------------------------------------ public
def export_python(pipeline: Pipeline) -> str:
    """The pipeline as the source text of a standalone Python script."""
    reserved = {"results", "main", "np", "pd", "json", "sys"} | portable_names() | helper_names()
    script = _Script(names=reserved)
    script.need("report")
    values: dict[tuple[str, str], Any] = {}
    order = pipeline.execution_order()
    steps: list[str] = []
    for number, node_id in enumerate(order, start=1):
        node = pipeline.node(node_id)
        steps.append(f"  {number}. {node.title} ({node.type})")
        script.emit("", f"    # {'-' * 70}", f"    # {number}. {node.title}  [{node.type}]")
        inputs, missing = _inputs(pipeline, node, values)
        if missing:
            script.emit(f"    # skipped: it needs {missing}, which this script does not compute")
            continue
        if node.type not in SUPPORTED:
            script.emit(
                f"    # not exported: '{node.type}' needs the app's own services (model",
                "    # registry, deployments, serving); run it in MLOps Desktop",
            )
            continue
        spec = pipeline.registry.find(node.type)
        params = spec.validate_params(node.params) if spec is not None else dict(node.params)
        outputs = _WRITERS[node.type](script, node, inputs, params)
        for port, value in outputs.items():
            values[(node_id, port)] = value
    return _assemble(pipeline, script, steps)


def write_python(pipeline: Pipeline, path: str | os.PathLike[str]) -> Path:
    """Write :func:`export_python` of ``pipeline`` to ``path`` atomically; returns the path."""
    text = export_python(pipeline)
    target = Path(path)
    if target.is_dir():
        raise FormatError(f"{target} is a folder; give a file name")
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise FormatError(f"cannot write {target}: {exc.strerror}") from None
    return target


# ------------------------------------------------------------------------------ assembly
def _inputs(
    pipeline: Pipeline, node: Node, values: dict[tuple[str, str], Any]
) -> tuple[dict[str, Any], str]:
    """The node's input values by port, and the name of a missing one (or "")."""
    out: dict[str, Any] = {}
    for link in pipeline.incoming(node.id):
        value = values.get((link.source, link.source_port))
        if value is None:
            source = pipeline.node(link.source).title
            return {}, f"'{link.source_port}' of '{source}'"
        out[link.target_port] = value
    return out, ""


def _assemble(pipeline: Pipeline, script: _Script, steps: list[str]) -> str:
    sections = helper_sections()
    code = embedded_code(name for name in script.helpers if name not in sections)
    helpers = "\n\n\n".join(sections[name] for name in script.helpers if name in sections)
    shared = [
        "# " + "-" * 76,
        "# The code below is what the app's built-in stages run, copied unchanged, so this",
        "# script computes exactly what the app does.",
        "",
        "",
        code.text,
        "",
        "",
        "# " + "-" * 76,
        "# Helpers of this script.",
        "",
        "",
    ]
    title = pipeline.name.replace('"""', "'''")
    head = [
        "#!/usr/bin/env python3",
        f'"""Pipeline "{title}", exported from MLOps Desktop {__version__}.',
        "",
        "Does what the app's stages do, in the same order, with the same parameters and",
        "seeds, using only pandas, NumPy and scikit-learn:",
        *steps,
        "",
        "Run it with `python <this file>`; add `--json` to print every stage's metrics as",
        "JSON at the end.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        *import_lines({("json", None), ("sys", None), *code.imports}),
        "",
        "import numpy as np",
        "import pandas as pd",
        "",
        "",
        *(shared if code.functions else []),
        helpers,
        "",
        "",
        "def main():",
        '    """Run every stage in order; returns the metrics of each stage by its title."""',
        "    results = {}",
        *script.lines,
        "    return results",
        "",
        "",
        'if __name__ == "__main__":',
        "    all_results = main()",
        '    if "--json" in sys.argv[1:]:',
        "        print(json.dumps(all_results, indent=2))",
        "",
    ]
    return "\n".join(head)


def _lit(value: Any) -> str:
    """A Python literal for a JSON-like value (plain strings in double quotes)."""
    if isinstance(value, str) and value.isprintable() and not set(value) & {'"', "\\"}:
        return f'"{value}"'
    return repr(value)


# ------------------------------------------------------------------------------ stages
def _load_data(s: _Script, node: Node, inputs: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    frame = s.name("data")
    target = p["target"]
    if p["source"] == "sklearn":
        s.need("load_sklearn_dataset")
        name = p["dataset"]
        column = f", {_lit(target)}" if target not in ("", "target") else ""
        s.emit(f"    {frame} = load_sklearn_dataset({_lit(name)}{column})")
    elif p["source"] == "file":
        s.need("read_table")
        path = str(Path(p["path"]).expanduser()) if p["path"] else ""
        name = Path(p["path"]).name
        s.emit(f"    {frame} = read_table({_lit(path)})")
    else:
        name = "sql query"
        s.emit(
            "    import sqlalchemy",
            "",
            f"    engine = sqlalchemy.create_engine({_lit(p['url'])})",
            "    with engine.connect() as connection:",
            f"        {frame} = pd.read_sql_query(sqlalchemy.text({_lit(p['query'])}), connection)",
            "    engine.dispose()",
        )
    s.need("prepare_frame", "choose_task", "column_roles", "parse_roles", "apply_roles")
    args = [frame, _lit(name), _lit(target)]
    if p["sample_rows"]:
        args += [f"sample_rows={p['sample_rows']}", f"seed={p['seed']}"]
    roles = s.name("roles")
    s.emit(
        f"    {frame} = prepare_frame({', '.join(args)})",
        f"    {roles} = column_roles({frame}, {_lit(target)}, parse_roles({_lit(p['roles'])}), "
        f"{p['auto_roles']!r})",
        f"    for column, (role, why) in {roles}.items():",
        '        if role == "ignore":',
        '            print(f"ignored column {column!r}: {why}")',
        f"    {frame} = apply_roles({frame}, {roles})",
    )
    try:
        chosen = parse_roles(p["roles"])
    except ValueError as exc:
        raise FormatError(f"the roles of '{node.title}' cannot be read: {exc}") from None
    special = {role: col for col, role in chosen.items() if role in ("weight", "time", "group")}
    task = s.name("task")
    wanted = _lit(p.get("task", "auto"))
    s.emit(
        f"    {task} = choose_task({frame}[{_lit(target)}], {wanted})"
        if target
        else f'    {task} = ""'
    )
    s.emit(
        f'    print(f"{node.title}: {{len({frame}):,}} rows x {{{frame}.shape[1]}} columns, '
        f"{{{task} or 'no target'}}\")",
    )
    return {"dataset": _Dataset(frame, target, task, special)}


def _validate_data(
    s: _Script, node: Node, inputs: dict[str, Any], p: dict[str, Any]
) -> dict[str, Any]:
    data: _Dataset = inputs["dataset"]
    s.need("check_schema")
    schema, problems = s.name("schema"), s.name("violations")
    if p["schema_source"] == "file":
        s.emit(f"    with open({_lit(p['schema_path'])}, encoding='utf-8') as fh:")
        s.emit(f"        {schema} = json.load(fh)")
    else:
        if p["schema_source"] == "reference":
            s.emit("    # the app checks against the reference schema stored in its workspace")
        s.need("infer_schema")
        s.emit(f"    {schema} = infer_schema({data.frame}, {p['max_missing_fraction']!r})")
    s.emit(
        f"    {problems} = check_schema({data.frame}, {schema})",
        f"    for problem in {problems}:",
        '        print("violation:", problem)',
    )
    if p["on_violation"] == "fail":
        s.emit(
            f"    if {problems}:",
            f'        raise SystemExit(f"{node.title}: data check failed: {{{problems}[0]}}")',
        )
    return {"dataset": data, "profile": _Var(schema)}


def _split(s: _Script, node: Node, inputs: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    data: _Dataset = inputs["dataset"]
    s.need("stratify_by", "split_rows")
    names = {k: s.name(k) for k in ("X_train", "X_test", "y_train", "y_test")}
    X, y = s.name("X"), s.name("y")
    test, val, seed = p["test_size"], p["validation_size"], p["seed"]
    X_val, y_val = (s.name("X_val"), s.name("y_val")) if val > 0 else (None, None)
    parts = ", ".join([*names.values(), X_val or "_", y_val or "_"])
    special = data.special
    dropped = ", ".join(_lit(c) for c in [data.target, *special.values()])
    wanted = p["stratify"] and not {"time", "group"} & set(special)
    column = {
        role: f"{data.frame}[{_lit(special[role])}]" if role in special else "None"
        for role in ("group", "time")
    }
    s.emit(
        f"    {X}, {y} = {data.frame}.drop(columns=[{dropped}]), {data.frame}[{_lit(data.target)}]",
        f"    strata = stratify_by({y}, {data.task}, {wanted!r}, {test + val!r})",
        f"    {parts} = split_rows(",
        f"        {X}, {y}, test_size={test!r}, validation_size={val!r}, random_state={seed}, "
        f"stratify=strata, groups={column['group']}, order={column['time']}",
        "    )",
    )
    weights = val_weights = "None"
    if "weight" in special:
        weights = s.name("w_train")
        s.emit(
            f"    {weights} = {data.frame}[{_lit(special['weight'])}]"
            f".loc[{names['X_train']}.index].to_numpy(dtype=float)"
        )
        if X_val is not None:
            val_weights = s.name("w_val")
            s.emit(
                f"    {val_weights} = {data.frame}[{_lit(special['weight'])}]"
                f".loc[{X_val}.index].to_numpy(dtype=float)"
            )
    by_role = {"group": "None", "time": "None"}
    for role in by_role:
        if role in special:
            by_role[role] = s.name(f"{role}_train")
            s.emit(
                f"    {by_role[role]} = {data.frame}[{_lit(special[role])}]"
                f".loc[{names['X_train']}.index]"
            )
    s.emit(
        f'    print(f"{node.title}: train {{len({names["X_train"]}):,}}, '
        f'test {{len({names["X_test"]}):,}}")'
    )
    return {
        "split": _Split(
            names["X_train"],
            names["X_test"],
            names["y_train"],
            names["y_test"],
            X_val,
            y_val,
            data.task,
            seed,
            names["X_test"],
            w_train=weights,
            w_val=val_weights,
            g_train=by_role["group"],
            t_train=by_role["time"],
        )
    }


def _feature_engineering(
    s: _Script, node: Node, inputs: dict[str, Any], p: dict[str, Any]
) -> dict[str, Any]:
    data: _Split = inputs["split"]
    s.need("build_transformer")
    transformer = s.name("transformer")
    s.emit(
        f"    {transformer} = build_transformer(",
        f"        {data.X_train},",
        f"        {data.task},",
        f"        seed={data.seed},",
        f"        numeric_impute={_lit(p['numeric_impute'])},",
        f"        scaling={_lit(p['scaling'])},",
        f"        one_hot={p['one_hot']!r},",
        f"        reduce={_lit(p['reduce'])},",
        f"        n_components={p['n_components']},",
        "    )",
        "    # the model refits this preprocessing on the training part and carries it",
    )
    out = replace(data, preprocessor=transformer)
    return {"split": out, "transformer": _Var(transformer)}


def _estimator_code(name: str, params: dict[str, Any]) -> tuple[str, str, str]:
    """``(import line, class name, constructor arguments)`` for the estimator the app builds.

    The app's own factory builds the estimator; its non-default arguments (without n_jobs,
    which changes speed, not results) become the constructor call.
    """
    import importlib

    from mlops_desktop.stages.portable_model import make_estimator

    est = make_estimator(name, params, 1)
    cls = type(est)
    public = ".".join(cls.__module__.split(".")[:2])
    module = public if getattr(importlib.import_module(public), cls.__name__, None) else None
    module = module or cls.__module__
    signature = inspect.signature(cls)
    args = []
    for key, value in est.get_params(deep=False).items():
        default = signature.parameters[key].default if key in signature.parameters else None
        if key == "n_jobs" or (type(value) is type(default) and value == default):
            continue
        args.append(f"{key}={_lit(value)}")
    return f"from {module} import {cls.__name__}", cls.__name__, ", ".join(args)


def _preprocessor_code(s: _Script, data: _Split, estimator: str) -> str:
    """The expression of the preprocessing the model pipeline starts with."""
    if data.preprocessor != "None":
        s.emit("    from sklearn.base import clone", "")
        return f"clone({data.preprocessor})"
    s.need("default_preprocessor")
    return f"default_preprocessor({data.X_train}, {data.task}, {data.seed}, {_lit(estimator)})"


def _train(s: _Script, node: Node, inputs: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    data: _Split = inputs["split"]
    model = s.name("model")
    imp, cls, args = _estimator_code(p["estimator"], p)
    pre = _preprocessor_code(s, data, p["estimator"])
    estimator = f"{cls}({args})"
    if p.get("calibration", "none") != "none":
        s.need("calibrated")
        estimator = f"calibrated({estimator}, {_lit(p['calibration'])}, {p['calibration_folds']})"
    if p.get("target_transform", "none") == "log1p":
        s.need("log_target")
        estimator = f"log_target({estimator})"
    X, y, w = _fit_rows(s, data, p.get("threshold", "none") in ON_VALIDATION)
    fit = f", model__sample_weight={w}" if w != "None" else ""
    s.need("model_pipeline")
    s.emit(
        f"    {imp}",
        "",
        f"    {model} = model_pipeline({pre}, {estimator})",
        f"    {model}.fit({X}, {y}{fit})",
        f'    print("{node.title}: fitted {cls} with its preprocessing")',
    )
    wanted = str(p.get("positive_class", "") or "").strip()
    if p.get("threshold", "none") != "none":
        _threshold_code(s, node, data, model, wanted, p)
    return {"model": _Model(model, data.task, wanted)}


def _fit_rows(s: _Script, data: _Split, hold_out: bool) -> tuple[str, str, str]:
    """The rows Train fits on: the training part, plus the validation part unless a
    threshold is chosen on it (as stages._decision.fit_rows)."""
    if data.X_val is None or hold_out:
        return data.X_train, data.y_train, data.w_train
    X, y = s.name("X_fit"), s.name("y_fit")
    s.emit(
        "    # the validation part is trained on: nothing here holds it out",
        f"    {X} = pd.concat([{data.X_train}, {data.X_val}])",
        f"    {y} = pd.concat([pd.Series({data.y_train}), pd.Series({data.y_val})])",
    )
    if data.w_train == "None":
        return X, y, "None"
    w = s.name("w_fit")
    s.emit(f"    {w} = np.concatenate([{data.w_train}, {data.w_val}])")
    return X, y, w


def _threshold_code(
    s: _Script, node: Node, data: _Split, model: str, wanted: str, p: dict[str, Any]
) -> None:
    """The decision threshold chosen on the validation part (never the test part) and put
    into the model pipeline, as Train does (stages._decision.decide_threshold)."""
    positive, threshold = s.name("positive"), s.name("threshold")
    s.need("model_positive_class", "with_threshold")
    s.emit(f"    {positive} = model_positive_class({model}, {data.y_train}, {_lit(wanted)})")
    if p["threshold"] == "fixed":
        s.emit(f"    {threshold} = {float(p['threshold_target'])!r}")
    else:
        s.need("choose_threshold", "class_scores", "predict_with_scores")
        s.emit(
            f"    {threshold} = choose_threshold(",
            f"        {data.y_val},",
            f"        class_scores(predict_with_scores({model}, {data.X_val}, "
            f'"classification")[1], list({model}.classes_), {positive}),',
            f"        {positive},",
            f"        {_lit(p['threshold'])},",
            f"        {float(p['threshold_target'])!r},",
            "    )",
        )
    s.emit(
        f'    {model}.steps[-1] = ("model", with_threshold({model}.steps[-1][1], '
        f"{threshold}, {positive}))",
        f'    results.setdefault({_lit(node.title)}, {{}})["decision_threshold"] = {threshold}',
        f'    print(f"{node.title}: decision threshold {{{threshold}:.6g}} for class '
        f'{{{positive}}}")',
    )


def _tune(s: _Script, node: Node, inputs: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    data: _Split = inputs["split"]
    try:
        grid = json.loads(p["grid"])
    except ValueError as exc:
        raise FormatError(f"the grid of '{node.title}' is not valid JSON: {exc}") from None
    imp, cls, args = _estimator_code(p["estimator"], {"seed": p["seed"]})
    estimator = f"{cls}({args})"
    if p.get("target_transform", "none") == "log1p":
        s.need("log_target")
        estimator = f"log_target({estimator})"
    search, model, results = s.name("search"), s.name("model"), s.name("tuning")
    s.need("make_search", "model_pipeline", "search_folds", "cv_strategy")
    pre = _preprocessor_code(s, data, p["estimator"])
    X, y, fit = _search_rows(s, node, data, p.get("cv_strategy", "auto"))
    s.emit(
        f"    {imp}",
        "",
        f"    {search} = make_search(",
        f"        model_pipeline({pre}, {estimator}),",
        f"        {_lit(grid)},",
        f"        {_lit(p['search'])},",
        f"        cv=search_folds({p['cv']}, cv_strategy({_lit(p.get('cv_strategy', 'auto'))}, "
        f"{data.g_train}, {data.t_train})),",
        f"        scoring={_lit(p['scoring'] or None)},",
        *(
            [f"        n_iter={p['n_iter']},", f"        random_state={p['seed']},"]
            if p["search"] != "grid"
            else []
        ),
        "    )",
        f"    {search}.fit({X}, {y}{fit})",
        f"    {model} = {search}.best_estimator_",
        f'    {results} = {{"cv_best_score": float({search}.best_score_), '
        f'"candidates": float(len({search}.cv_results_["params"]))}}',
        f'    print("{node.title}: best parameters", {search}.best_params_)',
        f"    report({_lit(node.title)}, {results}, results)",
    )
    return {"model": _Model(model, data.task), "results": _Var(results)}


def _fold_kind(node: Node, data: _Split, strategy: str) -> str:
    """The fold kind a stage's ``cv_strategy`` means for this split (as the stage decides)."""
    from mlops_desktop.stages.portable_model import cv_strategy

    present = {"group": data.g_train != "None", "time": data.t_train != "None"}
    try:
        return cv_strategy(strategy, present["group"] or None, present["time"] or None)
    except ValueError as exc:
        raise FormatError(f"'{node.title}': {exc}") from None


def _search_rows(s: _Script, node: Node, data: _Split, strategy: str) -> tuple[str, str, str]:
    """``(X, y, extra fit arguments)`` of a search: time-ordered rows for time folds (as
    Tune sorts them), the groups for grouped folds, the row weights."""
    kind = _fold_kind(node, data, strategy)
    X, y, w = data.X_train, data.y_train, data.w_train
    if kind == "kfold":  # the validation rows join the search's folds (as Tune does)
        X, y, w = _fit_rows(s, data, hold_out=False)
    if kind == "time":
        s.need("time_ordered")
        X, y, w = s.name("X_ordered"), s.name("y_ordered"), s.name("w_ordered")
        s.emit(
            f"    {X}, {y}, {w} = time_ordered("
            f"{data.t_train}, {data.X_train}, {data.y_train}, {data.w_train})"
        )
    fit = f", model__sample_weight={w}" if data.w_train != "None" else ""
    if kind == "group":
        fit += f", groups={data.g_train}"
    return X, y, fit


def _evaluate(s: _Script, node: Node, inputs: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    model: _Model = inputs["model"]
    data: _Split = inputs["split"]
    s.need("predict_with_scores", "prediction_metrics", "baseline_metrics", "model_positive_class")
    metrics, y_pred, scores = s.name("metrics"), s.name("y_pred"), s.name("scores")
    positive = s.name("positive")
    task = model.task
    if model.task != data.task:
        task = s.name("task")
        s.emit(f"    {task} = {model.task} or {data.task}")
    s.emit(
        f"    {positive} = (",
        f"        model_positive_class({model.var}, {data.y_train}, {_lit(model.positive_class)})",
        f'        if {task} == "classification"',
        "        else None",
        "    )",
        f"    {y_pred}, {scores} = predict_with_scores({model.var}, {data.X_test}, {task})",
        f"    {metrics} = prediction_metrics("
        f"{data.y_test}, {y_pred}, {scores}, {model.var}, {task}, {positive})",
        f"    baseline = baseline_metrics({data.X_train}, {data.y_train}, {data.X_test}, "
        f"{data.y_test}, {task}, {positive})",
        f'    {metrics}.update({{f"baseline_{{k}}": v for k, v in baseline.items()}})',
    )
    if p.get("cv_folds", 0):
        _cv_code(s, node, model, data, task, metrics, p)
    if p["slice_column"]:
        s.need("slice_metrics")
        s.emit(
            f"    for value, row in slice_metrics({data.raw_test}, {data.y_test}, {y_pred}, "
            f"{_lit(p['slice_column'])}, {task}).items():",
            '        print(f"  slice {value}: " + ", ".join(f"{k} {v:.4g}" for k, v in row.items()))',
        )
    if p["permutation_importance"]:
        s.need("feature_importance")
        s.emit(
            f"    for row in feature_importance({model.var}, {data.X_test}, {data.y_test}, "
            f"{p['importance_repeats']}, {p['seed']}):",
            f'        {metrics}["importance/" + row["feature"]] = row["mean"]',
        )
    s.emit(f"    report({_lit(node.title)}, {metrics}, results)")
    predictions = s.name("predictions")
    s.emit(
        f'    {predictions} = pd.DataFrame({{"y_true": np.asarray({data.y_test}), '
        f'"y_pred": {y_pred}}})'
    )
    return {"metrics": _Var(metrics), "predictions": _Var(predictions)}


def _cv_code(
    s: _Script, node: Node, model: _Model, data: _Split, task: str, metrics: str, p: dict[str, Any]
) -> None:
    """Evaluate's k-fold cross-validation on the training part, with the stage's folds
    (stratified/plain, grouped or time-ordered) and its cv_* metrics."""
    strategy = p.get("cv_strategy", "auto")
    kind = _fold_kind(node, data, strategy)
    s.need("cross_validated_metrics", "cv_values")
    cv = s.name("cv")
    s.emit(
        f"    # {p['cv_folds']} {kind} folds of the training part only "
        f"({'GroupKFold' if kind == 'group' else 'TimeSeriesSplit' if kind == 'time' else 'shuffled k-fold'})",
        f"    {cv} = cross_validated_metrics(",
        f"        {model.var},",
        f"        {data.X_train},",
        f"        {data.y_train},",
        f"        {task},",
        f"        {int(p['cv_folds'])},",
        f"        {int(p['seed'])},",
        f"        sample_weight={data.w_train},",
        f"        strategy={_lit(strategy)},",
        f"        groups={data.g_train},",
        f"        order={data.t_train},",
        "    )",
        f"    {metrics}.update(cv_values({cv}))",
        f'    for key, row in {cv}["metrics"].items():',
        "        print(f\"  cv {key} {row['mean']:.4f} ± {row['std']:.4f} over "
        f"{{{cv}['folds']}} {{{cv}['splitter']}} folds\")",
    )


def _rule_code(tree: Any, metrics: str) -> str:
    if tree[0] == "cmp":
        parts = []
        for operand in (tree[1], tree[3]):
            parts.append(
                f"{metrics}[{_lit(operand[1])}]" if operand[0] == "name" else f"{operand[1]!r}"
            )
        return f"{parts[0]} {tree[2]} {parts[1]}"
    joined = f" {tree[0]} ".join(f"({_rule_code(t, metrics)})" for t in tree[1])
    return joined


def _model_gate(
    s: _Script, node: Node, inputs: dict[str, Any], p: dict[str, Any]
) -> dict[str, Any]:
    from mlops_desktop.stages.model import RuleError, parse_rules

    metrics: _Var = inputs["metrics"]
    try:
        tree = parse_rules(p["rules"])
    except RuleError as exc:
        raise FormatError(f"the rules of '{node.title}' cannot be read: {exc}") from None
    rules = " ".join(p["rules"].split())
    s.emit(
        f"    # rules: {rules}",
        f"    if not ({_rule_code(tree, metrics.var)}):",
        f'        print("{node.title}: model gate failed; later stages are skipped")',
        "        return results",
        f'    print("{node.title}: passed")',
    )
    return {"model": inputs["model"], "metrics": metrics}


@dataclass
class _Signature:
    """What the user's function looks like, read from its source without running it."""

    takes_frame: bool  # first parameter hinted as a DataFrame
    positional: int  # positional parameters besides ``ctx``
    takes_ctx: bool
    returns: str  # the return annotation's text ("" when none)


def _signature(p: dict[str, Any]) -> _Signature | None:
    """Parse the file (or the module's source, found without importing it) with ``ast``."""
    import ast

    from mlops_desktop.stages.custom import module_origin

    path = str(Path(p["file"]).expanduser()) if p["file"] else module_origin(p["module"])
    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError, UnicodeDecodeError):
        return None
    for item in tree.body:
        if isinstance(item, ast.FunctionDef) and item.name == p["function"]:
            args = [a for a in [*item.args.posonlyargs, *item.args.args] if a.arg != "ctx"]
            names = {
                a.arg for a in [*item.args.posonlyargs, *item.args.args, *item.args.kwonlyargs]
            }
            first = ast.unparse(args[0].annotation) if args and args[0].annotation else ""
            returns = ast.unparse(item.returns) if item.returns else ""
            return _Signature("DataFrame" in first, len(args), "ctx" in names, returns)
    return None


def _production_feedback(
    s: _Script, node: Node, inputs: dict[str, Any], p: dict[str, Any]
) -> dict[str, Any]:
    s.emit(
        "    # production feedback: outside the app no production rows come back with their",
        "    # labels, so the split passes unchanged",
    )
    return {"split": inputs["split"]}


def _python_function(
    s: _Script, node: Node, inputs: dict[str, Any], p: dict[str, Any]
) -> dict[str, Any]:
    data = inputs.get("input")
    sig = _signature(p)
    if sig is None:
        s.emit("    # not exported: the function's definition cannot be read from its source")
        return {}
    if data is not None and not (isinstance(data, _Dataset) and sig.takes_frame):
        s.emit(
            "    # not exported: the function takes one of the app's own values; only functions",
            "    # whose first parameter is hinted pd.DataFrame are exported",
        )
        return {}
    s.need("load_user_function")
    fn = s.name(p["function"] or "run")
    path = str(Path(p["file"]).expanduser().absolute()) if p["file"] else ""
    s.emit(
        f"    {fn} = load_user_function({_lit(path)}, {_lit(p['module'])}, {_lit(p['function'])})"
    )
    args = [data.frame] if data is not None and sig.positional else []
    if sig.takes_ctx:
        s.need("script_context")
        args.append(f"ctx=ScriptContext({_lit(node.title)}, results)")
    result = s.name("data" if "DataFrame" in sig.returns or not sig.returns else "result")
    s.emit(f"    {result} = {fn}({', '.join(args)})")
    if "dict" in sig.returns.lower():
        s.emit(f"    report({_lit(node.title)}, {result}, results)")
        return {"output": _Var(result)}
    if result.startswith("result") or data is None:
        return {"output": _Var(result)}
    task = s.name("task")
    s.need("infer_task")
    s.emit(
        f"    {task} = infer_task({result}[{_lit(data.target)}]) "
        f'if {_lit(data.target)} in {result}.columns else ""',
    )
    return {"output": _Dataset(result, data.target, task)}


_WRITERS = {
    "load_data": _load_data,
    "validate_data": _validate_data,
    "split": _split,
    "feature_engineering": _feature_engineering,
    "train": _train,
    "tune": _tune,
    "evaluate": _evaluate,
    "model_gate": _model_gate,
    "production_feedback": _production_feedback,
    "python_function": _python_function,
}
