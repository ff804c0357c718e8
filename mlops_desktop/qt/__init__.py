"""The PySide6 user interface: canvas, document editing, palette, inspector and windows.

Only this package imports PySide6, shiboken6 or pyqtgraph (checked by import-linter).
"""
