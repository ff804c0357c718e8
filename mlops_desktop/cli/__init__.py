"""The ``mlops-desktop`` command: the GUI with no sub-command, headless sub-commands otherwise.

Each sub-command group lives in a ``cmd_*`` module of this package that defines
``register(subparsers)``; groups are found automatically. Handlers return an exit code and
call Qt-free services in :mod:`mlops_desktop.app` (only the GUI launch and PDF rendering
reach into ``qt``). Errors print one clear line on stderr and exit 1 (2 for usage), with a
traceback only under ``--debug``.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import traceback
from collections.abc import Sequence

from mlops_desktop import __version__
from mlops_desktop.core.errors import MlopsError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mlops-desktop",
        description="Design, run and judge your ML lifecycle. With no command, opens the app.",
    )
    parser.add_argument("--version", action="version", version=f"mlops-desktop {__version__}")
    parser.add_argument(
        "--workspace",
        metavar="PATH|URL",
        default=None,
        help="workspace file or SQLAlchemy URL (default: $MLOPS_DESKTOP_WORKSPACE, else the "
        "workspace in your data folder)",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    import mlops_desktop.cli as pkg

    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if info.name.startswith("cmd_"):
            module = importlib.import_module(f"{pkg.__name__}.{info.name}")
            module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command is None:
            from mlops_desktop.qt.application import run_gui

            return run_gui(args.workspace)
        handler = getattr(args, "handler", None)
        if handler is None:  # a group given without its sub-command: show its help
            try:
                parser.parse_args([*(sys.argv[1:] if argv is None else argv), "--help"])
            except SystemExit:
                pass
            return 2
        return int(handler(args) or 0)
    except MlopsError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"mlops-desktop: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("mlops-desktop: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1
    except Exception as exc:  # noqa: BLE001 - last line of defence: no traceback for users
        if args.debug:
            traceback.print_exc()
        print(
            f"mlops-desktop: error: {type(exc).__name__}: {exc} (run with --debug for details)",
            file=sys.stderr,
        )
        return 1
