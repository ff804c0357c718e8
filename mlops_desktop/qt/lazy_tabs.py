"""Tab pages built when first shown: an empty page holds the place of a view whose plots
are costly to make, and the view takes its place when it is first shown or asked for.

Shared by the Run panel (Diagnostics, Tuning) and the Compare runs panel (Series,
Parameters, Group by): making every page at once held the GUI thread 60-90 ms.
"""

from __future__ import annotations

from PySide6 import QtWidgets


def install_tab(
    tabs: QtWidgets.QTabWidget, index: int, widget: QtWidgets.QWidget, title: str
) -> None:
    """Put ``widget`` in place of the empty page at ``index`` (same place, enabled state and
    current tab; no currentChanged signal)."""
    current, enabled = tabs.currentIndex(), tabs.isTabEnabled(index)
    page = tabs.widget(index)
    tabs.blockSignals(True)
    tabs.removeTab(index)
    tabs.insertTab(index, widget, title)
    tabs.setTabEnabled(index, enabled)
    tabs.setCurrentIndex(current)
    tabs.blockSignals(False)
    if page is not None:
        page.deleteLater()
