"""Checks of a pipeline against its data files, before anything runs.

:func:`mlops_desktop.core.validation.validate` looks at the graph only; these checks open
the files a Load data stage names: the file must exist and be a table the stage can read,
and the target column must be one of its columns. Only the header is read (a bounded
number of bytes), so the checks are cheap enough for the inspector to run as the user types.
"""

from __future__ import annotations

import csv
import difflib
import io
from pathlib import Path

from mlops_desktop.core.graph import Pipeline
from mlops_desktop.core.validation import Problem
from mlops_desktop.stages.portable_data import TABLE_SUFFIXES

HEADER_BYTES = 1 << 20  # a header longer than 1 MiB is not read
SHOWN_COLUMNS = 12


def file_columns(path_text: str) -> list[str]:
    """The column names of a CSV/TSV (header line) or Parquet file (its schema).

    Raises ValueError with one sentence when the file is missing or cannot be read.
    """
    if not path_text:
        raise ValueError("no file chosen: set the 'path' parameter")
    path = Path(path_text).expanduser()
    if not path.exists():
        raise ValueError(f"the file {path} does not exist")
    if path.is_dir():
        raise ValueError(f"{path} is a folder, not a data file")
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise ValueError(f"unsupported file type '{suffix}': use .csv or .parquet")
    if suffix in (".parquet", ".pq"):
        try:
            import pyarrow.parquet as pq

            return [str(n) for n in pq.read_schema(path).names]
        except ImportError:
            return []  # no reader for the schema here: the run reads the file
        except Exception as exc:  # noqa: BLE001 - any unreadable file is reported the same way
            raise ValueError(f"cannot read {path.name}: {str(exc).splitlines()[0]}") from None
    try:
        with path.open("rb") as handle:
            head = handle.read(HEADER_BYTES)
    except OSError as exc:
        raise ValueError(f"cannot read {path.name}: {exc.strerror or exc}") from None
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError(f"the file {path.name} is not UTF-8 text") from None
    line = text.splitlines()[0] if text.strip() else ""
    if not line:
        raise ValueError(f"the file {path.name} is empty")
    sep = "\t" if suffix == ".tsv" else ","
    if sep == "," and "," not in line and ";" in line:
        sep = ";"  # as the Load data stage reads it
    return [c.strip() for c in next(csv.reader(io.StringIO(line), delimiter=sep))]


def target_problem(columns: list[str], target: str, file_name: str) -> str:
    """Why ``target`` is not a column of the file ("" when it is)."""
    if not columns or target in columns:
        return ""
    close = difflib.get_close_matches(target, columns, n=1, cutoff=0.6)
    if not close:
        folded = [c for c in columns if c.lower() == target.lower()]
        close = folded[:1]
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    shown = ", ".join(columns[:SHOWN_COLUMNS]) + (" …" if len(columns) > SHOWN_COLUMNS else "")
    return f"no column '{target}' in {file_name}{hint}; its columns are {shown}"


def data_problems(pipeline: Pipeline) -> list[Problem]:
    """Problems with the files the pipeline's Load data stages read."""
    problems: list[Problem] = []
    for node in pipeline.nodes.values():
        if node.type != "load_data" or node.params.get("source") != "file":
            continue
        path = str(node.params.get("path") or "")
        try:
            columns = file_columns(path)
        except ValueError as exc:
            problems.append(Problem(f"{node.title}: {exc}", node.id))
            continue
        target = str(node.params.get("target") or "")
        why = target_problem(columns, target, Path(path).name) if target else ""
        if why:
            problems.append(Problem(f"{node.title}: {why}", node.id))
    return problems
