"""Maturity views: the assessment panel, its per-model tabs and charts."""
