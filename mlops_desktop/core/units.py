"""Human-readable quantities shared by the command line, the GUI and the reports."""

from __future__ import annotations


def format_size(n: int) -> str:
    """A byte count as people read it: ``"512 bytes"``, ``"3.4 MiB (3,565,158 bytes)"``."""
    if n < 1024:
        return f"{n:,} byte{'' if n == 1 else 's'}"
    size = float(n)
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        size /= 1024
        if size < 1024 or unit == "TiB":
            return f"{size:.1f} {unit} ({n:,} bytes)"
    raise AssertionError("unreachable")
