"""Helpers shared by the sub-command modules: opening the workspace, printing tables/JSON."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import argparse

    from mlops_desktop.app.workspace import Workspace


def open_workspace(args: argparse.Namespace) -> Workspace:
    """The workspace named by ``--workspace`` / ``$MLOPS_DESKTOP_WORKSPACE`` / the default."""
    from mlops_desktop.app.workspace import Workspace

    return Workspace.open(args.workspace)


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, default=str, ensure_ascii=False)
    sys.stdout.write("\n")


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """A plain aligned text table."""
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for n, row in enumerate(cells):
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))
