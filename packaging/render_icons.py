"""Write resources/icons/: one SVG per stage category and per stage icon, drawn by the same
code the app uses (mlops_desktop.qt.icons), so the shipped files never drift from the UI.

Run: ``QT_QPA_PLATFORM=offscreen python packaging/render_icons.py``
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> int:
    from PySide6.QtWidgets import QApplication

    from mlops_desktop.core.registry import default_registry
    from mlops_desktop.qt.icons import CATEGORY_GLYPHS, category_colour, write_svg

    app = QApplication.instance() or QApplication([])  # noqa: F841 - painting needs one
    out = Path(__file__).resolve().parent.parent / "resources" / "icons"
    out.mkdir(exist_ok=True)
    registry = default_registry()
    for category in registry.categories():
        slug = category.lower().replace(" ", "-")
        write_svg(str(out / f"category-{slug}.svg"), CATEGORY_GLYPHS.get(category, ""), category_colour(category))
    for spec in registry:
        write_svg(str(out / f"stage-{spec.icon or 'generic'}.svg"), spec.icon, category_colour(spec.category))
    print(f"wrote {len(list(out.glob('*.svg')))} icons to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
