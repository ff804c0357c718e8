"""Typed ports: the kinds of value that flow along pipeline links, and which may connect."""

from __future__ import annotations

from enum import StrEnum


class PortType(StrEnum):
    """What a port carries. ``ANY`` accepts (or offers) every type."""

    DATASET = "Dataset"
    SPLIT = "Split"
    TRANSFORMER = "Transformer"
    MODEL = "Model"
    METRICS = "Metrics"
    PREDICTIONS = "Predictions"
    REPORT = "Report"
    TRIGGER = "Trigger"
    MODEL_VERSION = "ModelVersion"
    DEPLOYMENT = "Deployment"
    ANY = "Any"


# Colours for ports on the canvas and in reports (hex, readable on light and dark themes).
PORT_COLOURS: dict[PortType, str] = {
    PortType.DATASET: "#2e86de",
    PortType.SPLIT: "#10ac84",
    PortType.TRANSFORMER: "#8e44ad",
    PortType.MODEL: "#e67e22",
    PortType.METRICS: "#c0392b",
    PortType.PREDICTIONS: "#16a085",
    PortType.REPORT: "#7f8c8d",
    PortType.TRIGGER: "#f1c40f",
    PortType.MODEL_VERSION: "#d35400",
    PortType.DEPLOYMENT: "#2c3e50",
    PortType.ANY: "#95a5a6",
}


def compatible(source: PortType, target: PortType) -> bool:
    """Whether an output of type ``source`` may feed an input of type ``target``."""
    if PortType.ANY in (source, target):
        return True
    return source == target
