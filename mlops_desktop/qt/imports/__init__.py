"""Importing what teams already have: cloud pipeline files, local copies, MLflow history."""
