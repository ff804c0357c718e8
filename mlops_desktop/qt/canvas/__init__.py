"""Graphics items, scene and view of the pipeline canvas (a view over core.graph.Pipeline)."""
