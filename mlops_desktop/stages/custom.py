"""The "Python function" stage: run a function from a file or module the user names.

The function gets the stage's input converted by its type hints and may return a table,
metrics or any port value of the app:

- a first parameter hinted ``pandas.DataFrame`` receives the table of a Dataset or
  Predictions input; otherwise it receives the port value itself (``DatasetValue``,
  ``SplitValue``, ``ModelValue``...). A function without parameters is called with none.
- a parameter named ``ctx`` receives the stage context (``ctx.log``, ``ctx.log_metric``,
  ``ctx.progress``...), so the function logs like a built-in stage.
- a returned DataFrame becomes a Dataset (keeping the input's target column when present);
  a dict of numbers becomes Metrics (each logged as a metric); a port value of the app is
  passed on; JSON-like values are passed on as they are.

The code is read once, hashed and executed from exactly those bytes: the hash is part of
the cache key (``python_function_cache_token``) and, when the app provides the
``code_trust`` service, it must be trusted for the workspace, so a file changed after it
was trusted does not run.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mlops_desktop.core.execution import (
    CLASSIFICATION,
    DatasetValue,
    MetricsValue,
    ModelValue,
    PredictionsValue,
    ReportValue,
    SplitValue,
    StageContext,
    TransformerValue,
)

PORT_VALUES = (
    DatasetValue,
    SplitValue,
    ModelValue,
    MetricsValue,
    PredictionsValue,
    ReportValue,
    TransformerValue,
)


# ------------------------------------------------------------------------------ source
def code_identity(params: dict[str, Any]) -> tuple[str, str] | None:
    """``("file", absolute path)`` or ``("module", name)`` of the code, or None if unset.

    Reads nothing and imports nothing: safe to call on a pipeline from anywhere.
    """
    path = str(params.get("file") or "").strip()
    if path:
        return "file", str(Path(path).expanduser().absolute())
    module = str(params.get("module") or "").strip()
    if module:
        return "module", module
    return None


def file_digest(path: str) -> str | None:
    """SHA-256 of a file's bytes, or None if it cannot be read."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


MAX_FOLDER_FILES = 500  # importable files hashed beside a trusted file
MAX_FOLDER_BYTES = 20 * 1024 * 1024
MAX_FOLDER_DIRS = 1000  # folders looked through for them


def _importable_suffixes() -> tuple[str, ...]:
    """What Python imports from a folder: sources, compiled files without a source and
    extension modules (``.py``, ``.pyc``, ``.so``...)."""
    from importlib.machinery import all_suffixes

    return tuple(all_suffixes())


def _folder_sources(folder: Path) -> list[Path] | None:
    """The files a file in ``folder`` can import from there: its sibling modules (source,
    compiled or extension) and those of every sub-folder an import can name (packages, and
    namespace packages without ``__init__.py``), in a stable order. None when there are
    more than the limits allow."""
    suffixes = _importable_suffixes()
    found: list[Path] = []
    pending = [folder]
    visited = 0
    while pending:
        current = pending.pop()
        visited += 1
        if visited > MAX_FOLDER_DIRS:
            return None
        try:
            entries = sorted(current.iterdir())
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith(".") or entry.name == "__pycache__":
                continue
            if entry.is_dir():
                if entry.name.isidentifier():  # an import can name it
                    pending.append(entry)
            elif entry.name.endswith(suffixes) and entry.is_file():
                found.append(entry)
        if len(found) > MAX_FOLDER_FILES:
            return None
    return sorted(found)


def code_digest(path: str, source: bytes | None = None) -> str | None:
    """SHA-256 of a code file *and* of the Python code it can import from its folder (the
    stage puts that folder on ``sys.path``): editing ``helper.py`` beside a trusted file
    makes it untrusted. ``source`` is the file's bytes when already read. None when the
    file cannot be read or its folder holds more code than the limits."""
    main = Path(path)
    try:
        data = main.read_bytes() if source is None else source
    except OSError:
        return None
    digest = hashlib.sha256(b"main\0" + hashlib.sha256(data).digest())
    total = len(data)
    files = _folder_sources(main.parent)
    if files is None:
        return None
    for file in files:
        if file == main:
            continue
        try:
            content = file.read_bytes()
        except OSError:
            continue
        total += len(content)
        if total > MAX_FOLDER_BYTES:
            return None
        rel = file.relative_to(main.parent).as_posix().encode()
        digest.update(rel + b"\0" + hashlib.sha256(content).digest())
    return digest.hexdigest()


def module_origin(name: str) -> str:
    """The source file of an importable module, found on ``sys.path`` without importing it
    or its parent packages ("" for built-in, missing or namespace modules)."""
    from importlib.machinery import PathFinder

    parts = name.split(".")
    search: Any = None
    spec = None
    for i in range(len(parts)):
        try:
            spec = PathFinder.find_spec(".".join(parts[: i + 1]), search)
        except (ImportError, ValueError):
            return ""
        if spec is None:
            return ""
        search = spec.submodule_search_locations
        if search is None and i < len(parts) - 1:
            return ""
    origin = getattr(spec, "origin", None)
    return origin if origin and Path(origin).is_file() else ""


def module_source_digest(name: str) -> str:
    """SHA-256 of an importable module's source file ("" when it has no readable source)."""
    origin = module_origin(name)
    return (file_digest(origin) or "") if origin else ""


def python_function_cache_token(params: dict[str, Any]) -> str | None:
    """The hash of the code's source: editing the file (or module) reruns the stage."""
    identity = code_identity(params)
    if identity is None:
        return "no code"
    kind, ident = identity
    digest = code_digest(ident) if kind == "file" else module_source_digest(ident)
    return f"{kind}:{ident}:{digest or 'unreadable'}:{params.get('function', '')}"


def _load_function(ctx: StageContext, params: dict[str, Any]) -> Callable[..., Any]:
    identity = code_identity(params)
    name = str(params.get("function") or "").strip()
    if identity is None:
        ctx.fail("no code chosen: set 'file' (a .py file) or 'module'")
    if not name.isidentifier():
        ctx.fail(f"'{name}' is not a function name")
    kind, ident = identity
    check = ctx.services.get("code_trust")
    if kind == "file":
        path = Path(ident)
        if not path.is_file():
            ctx.fail(f"file not found: {path}")
        source = path.read_bytes()
        digest = hashlib.sha256(source).hexdigest()
        trusted = code_digest(str(path), source)  # the file and the code beside it
        if check is not None and trusted is None:
            ctx.fail(
                f"the folder of {path.name} holds more code than the trust check reads "
                f"({MAX_FOLDER_FILES} files, {MAX_FOLDER_BYTES // (1 << 20)} MB, "
                f"{MAX_FOLDER_DIRS:,} folders): keep the file in a folder of its own"
            )
        if check is not None and not (trusted and check("file", str(path), trusted)):
            ctx.fail(
                f"{path.name} (or the code in its folder) is not trusted in this workspace "
                "(or changed since)"
            )
        module = _module_from_source(ctx, path, source, digest)
    else:
        if check is not None and not check("module", ident, ""):
            ctx.fail(f"module '{ident}' is not trusted in this workspace")
        try:
            module = importlib.import_module(ident)
        except ImportError as exc:
            ctx.fail(f"cannot import module '{ident}': {exc}")
        except Exception as exc:  # noqa: BLE001 - the user's module failed while loading
            ctx.fail(f"module '{ident}' failed while loading: {type(exc).__name__}: {exc}")
    fn = getattr(module, name, None)
    if not callable(fn):
        ctx.fail(f"'{ident}' has no function '{name}'")
    return fn


def _module_from_source(
    ctx: StageContext, path: Path, source: bytes, digest: str
) -> types.ModuleType:
    """Execute exactly ``source`` (the bytes that were hashed) as a fresh module."""
    module = types.ModuleType(f"mlops_user_{digest[:16]}")
    module.__file__ = str(path)
    try:
        code = compile(source, str(path), "exec")
    except SyntaxError as exc:
        ctx.fail(f"{path.name} line {exc.lineno}: {exc.msg}")
    from mlops_desktop.stages._trusted_imports import import_from_source

    import_from_source(path.parent)  # from the hashed sources, never a cached .pyc
    sys.path.insert(0, str(path.parent))  # sibling modules of the file can be imported
    try:
        exec(code, module.__dict__)  # noqa: S102 - trusted user code, checked above
    except Exception as exc:  # noqa: BLE001
        ctx.fail(f"{path.name} failed while loading: {type(exc).__name__}: {exc}")
    finally:
        try:  # the entry added above (stages in other threads may have added theirs)
            sys.path.remove(str(path.parent))
        except ValueError:
            pass
    return module


# ------------------------------------------------------------------------------ calling
def _wants_frame(annotation: Any) -> bool:
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    return "DataFrame" in str(text)


def _arguments(
    fn: Callable[..., Any], value: Any, ctx: StageContext
) -> tuple[list[Any], dict[str, Any]]:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return ([] if value is None else [value]), {}
    params = list(sig.parameters.values())
    kwargs: dict[str, Any] = {}
    if "ctx" in sig.parameters:
        kwargs["ctx"] = ctx
    positional = [
        p
        for p in params
        if p.name != "ctx" and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    if not positional:
        return [], kwargs
    first = positional[0]
    if value is None and first.default is not inspect.Parameter.empty:
        return [], kwargs
    if isinstance(value, DatasetValue | PredictionsValue) and _wants_frame(first.annotation):
        value = value.frame
    return [value], kwargs


def _output(ctx: StageContext, result: Any, value: Any) -> Any:
    """The port value for what the function returned."""
    import pandas as pd

    from mlops_desktop.stages.data import content_hash, infer_task, schema_of

    if isinstance(result, pd.DataFrame):
        target = value.target if isinstance(value, DatasetValue) else ""
        target = target if target in result.columns else ""
        task = infer_task(result[target]) if target else ""
        name = value.name if isinstance(value, DatasetValue) else "python function"
        ctx.log(f"returned a table of {len(result):,} rows x {result.shape[1]} columns")
        return DatasetValue(result, target, task, name, content_hash(result), schema_of(result))
    if isinstance(result, PORT_VALUES):
        return result
    if isinstance(result, dict) and result and all(_is_number(v) for v in result.values()):
        values = {str(k): float(v) for k, v in result.items()}
        for key, number in values.items():
            ctx.log_metric(key, number)
        return MetricsValue(values)
    if hasattr(result, "fit") and hasattr(result, "predict"):
        task = getattr(value, "task", "") or (CLASSIFICATION if hasattr(result, "classes_") else "")
        names = list(getattr(value, "feature_names", []) or [])
        return ModelValue(result, task, names, type(result).__name__)
    if result is None:
        ctx.fail("the function returned None: return a value for the output")
    return result


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        or (hasattr(value, "dtype") and getattr(value, "shape", None) == ())
    )


def python_function(
    ctx: StageContext, inputs: dict[str, Any], params: dict[str, Any]
) -> dict[str, Any]:
    fn = _load_function(ctx, params)
    value = inputs.get("input")
    args, kwargs = _arguments(fn, value, ctx)
    ctx.progress(0.1, f"calling {params['function']}()")
    try:
        result = fn(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - report the user's error as one line + log
        import traceback

        ctx.log(traceback.format_exc().rstrip())
        ctx.fail(f"{params['function']}() raised {type(exc).__name__}: {exc}")
    out = _output(ctx, result, value)
    ctx.progress(1.0, "done")
    return {"output": out}
