"""Entry script of the PyInstaller build: the frozen ``mlops-desktop`` runs the normal CLI."""

from __future__ import annotations

import sys

from mlops_desktop.cli import main

if __name__ == "__main__":
    sys.exit(main())
