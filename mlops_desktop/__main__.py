"""``python -m mlops_desktop`` does what the ``mlops-desktop`` command does."""

from __future__ import annotations

import sys

from mlops_desktop.cli import main

if __name__ == "__main__":
    sys.exit(main())
