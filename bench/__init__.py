"""Benchmarks that measure MLOps Desktop's speed and memory against its peers (not tests).

Importing this package makes the measurements see the app as a user runs it: its modules'
bytecode compiled (pip compiles an installed package; an editable install writes it at the
first import). A shell with ``PYTHONDONTWRITEBYTECODE`` set would otherwise have every
child process compile the app's modules from source again, 10-60 ms on each path that
imports a module for the first time (a run's start, a tab's first opening).
"""

from __future__ import annotations

import compileall
import os
import sys
from pathlib import Path

os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.dont_write_bytecode = False
compileall.compile_dir(Path(__file__).resolve().parents[1] / "mlops_desktop", quiet=1)
