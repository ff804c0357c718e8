"""A finding in a repository (what was seen, in which file at which line) and the scan that
collects them. The maturity rules read these as evidence (``repo:<kind>`` signals)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# What each kind of finding means (shown where a criterion asks for it and it is missing).
FINDING_KINDS: dict[str, str] = {
    "ci.workflow": "a CI definition (GitHub Actions, GitLab CI, Azure Pipelines, Jenkins, CircleCI)",
    "ci.tests": "a CI job that runs the test suite",
    "ci.train": "a CI job that trains a model",
    "ci.deploy": "a CI job that deploys a model or service",
    "ci.register": "a CI job that registers a model",
    "ci.container": "a CI job that builds a container image",
    "ci.schedule": "a CI definition that runs on a schedule",
    "ci.on_push": "a CI definition that runs on every push or pull request",
    "tests": "test functions in test files",
    "container": "a container definition (Dockerfile, compose)",
    "infra": "infrastructure as code (Terraform, Bicep/ARM, CloudFormation/CDK, Kubernetes)",
    "validation": "a data validation library call (Great Expectations, pandera, TFDV, Deepchecks)",
    "tracking": "experiment tracking calls (MLflow, Weights & Biases)",
    "registry": "a model registry call (MLflow, SageMaker, Vertex AI, Azure ML)",
    "deploy": "a model deployment call (SageMaker, Vertex AI, Azure ML, MLflow)",
    "monitoring": "model monitoring or drift detection (Evidently, Model Monitor, Azure data drift)",
    "pipeline": "a pipeline definition (Kubeflow/Vertex, SageMaker, Azure ML, Airflow, Kedro, DVC)",
    "training": "model training code (a fit call)",
    "notebook": "a Jupyter notebook",
}


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing seen in the repository: ``kind`` (see :data:`FINDING_KINDS`), where, what."""

    kind: str
    path: str  # relative to the repository root, with forward slashes
    line: int
    detail: str
    count: int = 1  # e.g. the number of test functions in a test file

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "path": self.path,
            "line": self.line,
            "detail": self.detail,
            "count": self.count,
        }


@dataclass(frozen=True)
class RepoScan:
    """What a scan of one repository found, and what it could not read (with why)."""

    root: str
    findings: tuple[Finding, ...] = ()
    files: int = 0
    skipped: tuple[str, ...] = ()  # "path: reason" for files refused (too big, malformed...)
    truncated: bool = False  # the time or file limit stopped the scan
    head: str = ""  # the commit the working tree is at, when known
    _by_kind: dict[str, list[Finding]] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for f in self.findings:
            self._by_kind.setdefault(f.kind, []).append(f)

    def of(self, *kinds: str) -> list[Finding]:
        out: list[Finding] = []
        for k in kinds:
            out += self._by_kind.get(k, [])
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "root": self.root,
            "files": self.files,
            "truncated": self.truncated,
            "head": self.head,
            "skipped": list(self.skipped),
            "findings": [f.to_dict() for f in self.findings],
        }
