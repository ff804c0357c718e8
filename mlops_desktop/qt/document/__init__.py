"""Editing a pipeline document: undo commands over core.operations and the editor widget."""
