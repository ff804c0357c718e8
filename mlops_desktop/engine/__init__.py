"""Runs pipelines: a scheduler over pluggable executors, stage contexts, caching and the
conversion of port values to artifacts. Reports only through a RunListener; never imports
storage or Qt (the app layer wires the stores in)."""
