"""Column roles as Load data decides them, for the inspector to show and edit.

:func:`preview_roles` reads the first rows of a Load data stage's file and asks the stage's
own code (``portable_data.column_roles``) what each column is used for and why: the same
decisions the run makes, on a bounded sample, so the inspector answers at once. The user's
edits become the stage's ``roles`` parameter (:func:`roles_text`): only the columns whose
role differs from the automatic one are written.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mlops_desktop.stages.portable_data import (
    TABLE_SUFFIXES,
    column_roles,
    infer_types,
    parse_roles,
)

SAMPLE_ROWS = 5000  # rows read to decide the roles in the inspector


@dataclass(frozen=True)
class ColumnRole:
    """One column: its type, the role it has now and why, and its automatic role."""

    column: str
    kind: str  # "number", "text", "yes/no" or "date"
    role: str
    reason: str
    automatic: str  # the role without the user's choice


def _sample(path_text: str, rows: int) -> object:
    import pandas as pd

    path = Path(path_text).expanduser()
    suffix = path.suffix.lower()
    if not path.is_file():
        raise ValueError(f"the file {path} does not exist")
    if suffix not in TABLE_SUFFIXES:
        raise ValueError(f"unsupported file type '{suffix}': use .csv or .parquet")
    try:
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(path).head(rows)
        sep = "\t" if suffix == ".tsv" else ","
        frame = pd.read_csv(path, sep=sep, nrows=rows, encoding="utf-8-sig")
        if frame.shape[1] == 1 and ";" in str(frame.columns[0]):
            frame = pd.read_csv(path, sep=";", nrows=rows, encoding="utf-8-sig")
        return frame
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read {path.name}: {str(exc).splitlines()[0]}") from None


def _kind(series: object) -> str:
    import pandas as pd

    if pd.api.types.is_bool_dtype(series):
        return "yes/no"
    if pd.api.types.is_numeric_dtype(series):
        return "number"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "date"
    return "text"


def preview_roles(
    path: str, target: str, roles: str = "", auto: bool = True, rows: int = SAMPLE_ROWS
) -> list[ColumnRole]:
    """Each column of the file's first ``rows`` rows with its role and reason, as Load data
    decides them. Raises ValueError with one sentence (unreadable file, bad roles text)."""
    frame = infer_types(_sample(path, rows), log=lambda _line: None)
    chosen = {c: r for c, r in parse_roles(roles).items() if c in frame.columns}
    decided = column_roles(frame, target if target in frame.columns else "", chosen, auto)
    automatic = column_roles(frame, target if target in frame.columns else "", {}, auto)
    return [
        ColumnRole(
            str(col),
            _kind(frame[col]),
            role,
            "chosen in 'roles'" if reason == "chosen" else reason,
            automatic[col][0],
        )
        for col, (role, reason) in decided.items()
    ]


def roles_text(columns: list[ColumnRole], wanted: dict[str, str]) -> str:
    """The ``roles`` parameter for the roles ``wanted`` per column: only the columns whose
    role differs from the automatic one, in the file's column order."""
    return ", ".join(
        f"{c.column}={wanted[c.column]}"
        for c in columns
        if c.column in wanted and wanted[c.column] != c.automatic and c.automatic != "target"
    )
