"""Readers of cloud pipeline definitions (Azure ML, Kubeflow/Vertex AI, SageMaker).

Pure: each parser takes an already safely loaded document; file access, the YAML loader and
component files live in :mod:`mlops_desktop.app.cloud_import`. Nothing read is executed.
"""

from __future__ import annotations

from typing import Any

from mlops_desktop.core.cloud import azure_ml, kfp_ir, sagemaker
from mlops_desktop.core.cloud.model import CloudFormatError, ExternalPipeline, check_shape


def detect(doc: Any) -> str | None:
    """``azureml``, ``kfp`` or ``sagemaker`` when ``doc`` looks like one, else ``None``."""
    if sagemaker.looks_like(doc):
        return "sagemaker"
    if kfp_ir.looks_like(doc):
        return "kfp"
    if azure_ml.looks_like(doc):
        return "azureml"
    return None


def parse(
    doc: Any, source: str = "", load: azure_ml.Loader | None = None, base: str = ""
) -> ExternalPipeline:
    """The external pipeline of a loaded definition; raises :class:`CloudFormatError`."""
    check_shape(doc, source)
    fmt = detect(doc)
    if fmt == "sagemaker":
        return sagemaker.parse(doc, source)
    if fmt == "kfp":
        return kfp_ir.parse(doc, source)
    if fmt == "azureml":
        return azure_ml.parse(doc, source, load, base)
    raise CloudFormatError(
        "",
        "not a pipeline definition this app reads (expected an Azure ML pipeline job with "
        "'type: pipeline' and 'jobs', a Kubeflow/Vertex compiled pipeline with 'pipelineInfo' "
        "and 'root', or a SageMaker definition with 'Version' and 'Steps')",
        source,
    )


__all__ = ["CloudFormatError", "ExternalPipeline", "detect", "parse"]
