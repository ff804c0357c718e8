"""Qt-free services and the composition root: wires storage, engine and reports together.

The CLI and the GUI both call these services; nothing here imports Qt.
"""
