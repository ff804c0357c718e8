"""What one file of a repository shows, as findings with a line: tests, notebooks, container
and infrastructure files, data validation, tracking, registry, deployment and monitoring calls,
pipeline definitions, training code; and :func:`finish`, which keeps cross-file rules honest
(a CI job "runs tests" only when the repository has test functions for it to run).

Pure functions over (path, text): the caller reads the files with its limits.
"""

from __future__ import annotations

import re

from mlops_desktop.core.evidence.ci import ci_system, scan_ci
from mlops_desktop.core.evidence.findings import Finding

# Files worth reading (by name or suffix); everything else is counted, not opened.
TEXT_SUFFIXES = (".py", ".yml", ".yaml", ".tf", ".bicep", ".json", ".groovy", ".cfg", ".toml")
SPECIAL_NAMES = ("dockerfile", "jenkinsfile", "mlproject", "chart.yaml")

_TEST_FILE = re.compile(r"(^|/)(test_[^/]*|[^/]*_test)\.py$")
_TEST_DEF = re.compile(r"^[ \t]*(async[ \t]+)?def[ \t]+test\w*[ \t]*\(", re.M)

# (kind, what, pattern) matched on source lines of .py files
# (kind, what, literal needles (one must occur), pattern)
_RAW_PATTERNS: tuple[tuple[str, str, tuple[str, ...], re.Pattern[str]], ...] = (
    (
        "validation",
        "Great Expectations",
        ("great_expectations",),
        re.compile(r"^\s*(import|from)\s+great_expectations"),
    ),
    ("validation", "pandera", ("pandera",), re.compile(r"^\s*(import|from)\s+pandera")),
    (
        "validation",
        "TFDV",
        ("tensorflow_data_validation",),
        re.compile(r"^\s*(import|from)\s+tensorflow_data_validation"),
    ),
    ("validation", "Deepchecks", ("deepchecks",), re.compile(r"^\s*(import|from)\s+deepchecks")),
    (
        "tracking",
        "MLflow tracking",
        ("mlflow.",),
        re.compile(r"mlflow\.(log_\w+|start_run|autolog)\s*\("),
    ),
    ("tracking", "Weights & Biases", ("wandb.",), re.compile(r"wandb\.(init|log)\s*\(")),
    (
        "registry",
        "MLflow model registry",
        ("register_model", "registered_model_name", "create_model_version"),
        re.compile(r"(mlflow\.register_model|registered_model_name\s*=|create_model_version)\s*"),
    ),
    (
        "registry",
        "SageMaker model registry",
        ("model_package_group_name", "ModelPackage", "content_types"),
        re.compile(r"model_package_group_name\s*=|ModelPackage\s*\(|\.register\(\s*content_types"),
    ),
    (
        "registry",
        "Vertex AI model registry",
        ("aiplatform.Model.upload",),
        re.compile(r"aiplatform\.Model\.upload\s*\("),
    ),
    (
        "registry",
        "Azure ML model registry",
        ("ml_client.models", "Model.register"),
        re.compile(r"ml_client\.models\.create_or_update\s*\(|Model\.register\s*\("),
    ),
    (
        "deploy",
        "Azure ML online deployment",
        ("online_deployments", "ManagedOnlineDeployment"),
        re.compile(r"online_deployments\.begin_create_or_update|ManagedOnlineDeployment\s*\("),
    ),
    (
        "deploy",
        "Vertex AI endpoint",
        ("deploy(",),
        re.compile(r"endpoint\.deploy\s*\(|\.deploy\(\s*endpoint"),
    ),
    (
        "deploy",
        "SageMaker endpoint",
        ("deploy(", "create_endpoint"),
        re.compile(r"\.deploy\(\s*(initial_instance_count|instance_type)|create_endpoint\s*\("),
    ),
    (
        "deploy",
        "MLflow deployments",
        ("mlflow.deployments", "mlflow models serve"),
        re.compile(r"mlflow\.deployments|mlflow models serve"),
    ),
    ("monitoring", "Evidently", ("evidently",), re.compile(r"^\s*(import|from)\s+evidently")),
    (
        "monitoring",
        "SageMaker Model Monitor",
        ("ModelMonitor", "ModelQualityMonitor", "ModelBiasMonitor"),
        re.compile(r"DefaultModelMonitor|ModelQualityMonitor|ModelBiasMonitor"),
    ),
    (
        "monitoring",
        "Azure ML data drift",
        ("DataDriftDetector", "MonitorSchedule"),
        re.compile(r"DataDriftDetector|MonitorSchedule\s*\("),
    ),
    (
        "monitoring",
        "drift detection",
        ("alibi_detect", "nannyml", "whylogs"),
        re.compile(r"^\s*(import|from)\s+(alibi_detect|nannyml|whylogs)"),
    ),
    (
        "pipeline",
        "Kubeflow / Vertex pipeline",
        ("kfp", "dsl.pipeline"),
        re.compile(r"^\s*(import|from)\s+kfp\b|@dsl\.pipeline"),
    ),
    (
        "pipeline",
        "SageMaker pipeline",
        ("sagemaker.workflow",),
        re.compile(r"sagemaker\.workflow\.pipeline"),
    ),
    (
        "pipeline",
        "Azure ML pipeline",
        ("azure.ai.ml.dsl", "@pipeline"),
        re.compile(r"^\s*from\s+azure\.ai\.ml\.dsl|@pipeline\s*\("),
    ),
    ("pipeline", "Airflow DAG", ("airflow",), re.compile(r"^\s*(import|from)\s+airflow\b")),
    ("pipeline", "Kedro pipeline", ("kedro",), re.compile(r"^\s*(import|from)\s+kedro\b")),
    ("training", "model training", (".fit",), re.compile(r"\.fit\s*\(")),
    ("infra", "AWS CDK", ("aws_cdk",), re.compile(r"^\s*(import|from)\s+aws_cdk\b")),
)
CODE_PATTERNS = tuple((k, w, n, re.compile(p.pattern, re.M)) for k, w, n, p in _RAW_PATTERNS)
_K8S = re.compile(r"^apiVersion:\s*\S+.*^kind:\s*(\w+)", re.M | re.S)
_CFN = re.compile(r"AWSTemplateFormatVersion|^\s*Type:\s*['\"]?AWS::", re.M)


def wants(path: str) -> bool:
    """Whether a file is worth opening."""
    low = path.lower()
    name = low.rsplit("/", 1)[-1]
    return (
        low.endswith(TEXT_SUFFIXES)
        or name.startswith(SPECIAL_NAMES)
        or name.endswith((".dockerfile", ".jenkinsfile"))
        or name == ".gitlab-ci.yml"
    )


def name_findings(path: str) -> list[Finding]:
    """Findings from the path alone (files that are not opened)."""
    if path.lower().endswith(".ipynb"):
        return [Finding("notebook", path, 1, "Jupyter notebook")]
    return []


def _line_at(text: str, pos: int) -> tuple[int, str]:
    """The 1-based line number at ``pos`` and that line's text (shortened)."""
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    return text.count("\n", 0, pos) + 1, text[start : end if end >= 0 else len(text)].strip()[:100]


def _first(lines: list[str], pattern: re.Pattern[str]) -> tuple[int, int]:
    first, count = 0, 0
    for i, line in enumerate(lines, 1):
        if pattern.search(line):
            count += 1
            first = first or i
    return first, count


def _python(path: str, text: str) -> list[Finding]:
    out: list[Finding] = []
    if _TEST_FILE.search(path):
        n = len(_TEST_DEF.findall(text))
        if n:
            line, _ = _line_at(text, _TEST_DEF.search(text).start())  # type: ignore[union-attr]
            out.append(Finding("tests", path, line, f"{n} test functions", n))
        return out  # what tests import is not what the project does
    for kind, what, needles, pattern in CODE_PATTERNS:
        if not any(n in text for n in needles):
            continue  # str.find is far faster than a regular expression on every file
        m = pattern.search(text)
        if m:
            line, shown = _line_at(text, m.start())
            out.append(Finding(kind, path, line, f"{what}: {shown}"))
    return out


def _infra(path: str, name: str, text: str) -> list[Finding]:
    lines = text.splitlines()
    if name.startswith("dockerfile") or name.endswith(".dockerfile"):
        first, _ = _first(lines, re.compile(r"^\s*FROM\s+\S", re.I))
        return [Finding("container", path, first, lines[first - 1].strip()[:100])] if first else []
    if name.startswith(("docker-compose", "compose.")) and name.endswith((".yml", ".yaml")):
        first, _ = _first(lines, re.compile(r"^services:"))
        return [Finding("container", path, first, "compose services")] if first else []
    if name.endswith(".tf"):
        first, n = _first(lines, re.compile(r'^\s*resource\s+"'))
        return [Finding("infra", path, first, f"Terraform: {n} resources", n)] if first else []
    if name.endswith(".bicep"):
        first, n = _first(lines, re.compile(r"^\s*resource\s+\w+\s+'"))
        return [Finding("infra", path, first, f"Bicep: {n} resources", n)] if first else []
    if name.endswith(".json") and "deploymentTemplate.json" in text[:2000]:
        return [Finding("infra", path, 1, "ARM template")]
    if name.endswith((".yml", ".yaml", ".json")) and _CFN.search(text):
        first, _ = _first(lines, _CFN)
        return [Finding("infra", path, first, "CloudFormation template")]
    if name == "cdk.json":
        return [Finding("infra", path, 1, "AWS CDK app")]
    if name.endswith((".yml", ".yaml")):
        m = _K8S.search(text)
        if m:
            line = text[: m.start(1)].count("\n") + 1
            return [Finding("infra", path, line, f"Kubernetes {m.group(1)}")]
        if name == "dvc.yaml" and "stages:" in text:
            first, _ = _first(lines, re.compile(r"^stages:"))
            return [Finding("pipeline", path, first, "DVC pipeline stages")]
    if name == "mlproject":
        return [Finding("pipeline", path, 1, "MLflow project")]
    if name == "chart.yaml":
        return [Finding("infra", path, 1, "Helm chart")]
    return []


def scan_text(path: str, text: str) -> list[Finding]:
    """Findings of one opened file. Raises ValueError (the reason) for a malformed CI file."""
    name = path.lower().rsplit("/", 1)[-1]
    if ci_system(path):
        return scan_ci(path, text)
    if name.endswith(".py"):
        return _python(path, text)
    return _infra(path, name, text)


def finish(findings: list[Finding]) -> list[Finding]:
    """Cross-file rules: a CI test command counts only when there are test functions to run;
    a CI training or registration command only when it names code the repository holds."""
    kinds = {f.kind for f in findings}
    out = []
    for f in findings:
        if f.kind == "ci.tests" and "tests" not in kinds:
            continue
        if f.kind in ("ci.train", "ci.register") and not (
            kinds & {"training", "registry", "pipeline"}
        ):
            continue
        out.append(f)
    return out
