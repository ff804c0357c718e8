"""MLOps Desktop: design, run and judge an ML lifecycle on one machine.

The package is layered (see docs/architecture.md): ``core`` is the pure domain,
``storage``/``engine``/``reports`` sit on it independently, ``app`` wires them, ``qt`` is the GUI.
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]
