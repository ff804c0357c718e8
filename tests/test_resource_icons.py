"""resources/ ships the application icon and an icon per stage category, as valid images."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from mlops_desktop.core.registry import default_registry
from mlops_desktop.core.resources import resource_path


def _svg_ok(name: str, *folder: str) -> None:
    root = ET.fromstring(resource_path(*folder, name).read_bytes())
    assert root.tag.endswith("svg")


def test_every_stage_category_and_stage_has_an_svg_icon():
    registry = default_registry()
    for category in registry.categories():
        _svg_ok(f"category-{category.lower().replace(' ', '-')}.svg", "icons")
    for spec in registry:
        _svg_ok(f"stage-{spec.icon or 'generic'}.svg", "icons")


def test_application_icon_in_svg_and_png_sizes():
    _svg_ok("mlops-desktop.svg", "app_icon")
    for size in (16, 32, 48, 64, 128, 256, 512):
        data = resource_path("app_icon", f"mlops-desktop-{size}.png").read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
        width = int.from_bytes(data[16:20], "big")
        assert width == size
