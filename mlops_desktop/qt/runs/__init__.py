"""Runs in the window: the run controller, the Run view, the runs table, output previews."""
