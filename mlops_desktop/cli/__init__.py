"""The ``mlops-desktop`` command: the GUI with no sub-command, headless sub-commands otherwise.

Each sub-command group lives in a ``cmd_*`` module of this package that defines
``register(subparsers)``; groups are found automatically. Handlers return an exit code and
call Qt-free services in :mod:`mlops_desktop.app` (only the GUI launch and PDF rendering
reach into ``qt``). Errors print one clear line on stderr and exit 1 (2 for usage), with a
traceback only under ``--debug``.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import pkgutil
import sys
import traceback
from collections.abc import Iterator, Sequence

from mlops_desktop import __version__
from mlops_desktop.core.errors import MlopsError

# The cyclic collector's first threshold for a sub-command (Python's default is 700). Its
# imports and bulk reads make hundreds of thousands of objects and hardly any cycles: at the
# default, full collections over all of them took 0.1-0.5 s of a command reading a 10,000-run
# history (`report` 3.1 -> 2.7 s, `assess` 1.9 -> 1.7 s). Cycles are still collected, after
# this many allocations instead of 700. A command that only reads and prints and then ends
# (``set_defaults(collect=False)``: ``runs``, ``assess``) runs with the collector off, its
# cycles freed when it ends (`runs --json` of 10,000 runs: 0.15-0.2 s less again).
COMMAND_GC_THRESHOLD = 50_000


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
        with _fewer_collections(getattr(args, "collect", True)):
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


@contextlib.contextmanager
def _fewer_collections(collect: bool = True) -> Iterator[None]:
    """Collect cycles after :data:`COMMAND_GC_THRESHOLD` allocations while a sub-command runs,
    or not at all unless ``collect`` (the settings it found come back after: ``main`` may be
    called in a long process)."""
    before, enabled = gc.get_threshold(), gc.isenabled()
    gc.set_threshold(COMMAND_GC_THRESHOLD, before[1], before[2])
    if not collect:
        gc.disable()
    try:
        yield
    finally:
        gc.set_threshold(*before)
        if enabled:
            gc.enable()
