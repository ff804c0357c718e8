"""Entry script of the PyInstaller build: the frozen ``mlops-desktop`` runs the normal CLI."""

from __future__ import annotations

import multiprocessing
import sys

from mlops_desktop.cli import main

if __name__ == "__main__":
    # Runs go on in worker processes (mlops_desktop.app.run_process): a spawned worker of the
    # frozen app starts this executable again, and this call makes it the worker.
    multiprocessing.freeze_support()
    sys.exit(main())
