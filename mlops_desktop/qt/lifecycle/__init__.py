"""Lifecycle views: the vendors' lifecycle maps, the loop markers and the crosswalk."""
