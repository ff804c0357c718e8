"""CI definitions read as evidence: GitHub Actions, GitLab CI, Azure Pipelines, Jenkinsfile and
CircleCI. What each runs (tests, training, container builds, deployment, registration) and on
which events (push, schedule), each with the file and line.

YAML is read with ``yaml.safe_load`` (no tags, no code) only to check the document and
read its events; commands are classified line by line so every finding keeps its line.
"""

from __future__ import annotations

import re
from typing import Any

from mlops_desktop.core.evidence.findings import Finding

MAX_YAML_BYTES = 512 * 1024

# command patterns -> finding kind (checked on lines that run something)
COMMANDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "ci.tests",
        re.compile(
            r"\b(pytest|py\.test|python[\d.]* -m (pytest|unittest)|tox\b|nox\b|make test|"
            r"npm (run )?test|go test|mvn test|gradle test|manage\.py test)",
            re.I,
        ),
    ),
    (
        "ci.train",
        re.compile(
            r"(\btrain\w*\.py\b|-m [\w.]*train\w*|\bdvc repro\b|\bmlflow run\b|\bkedro run\b|"
            r"\bmake train\b|az ml job create|gcloud ai custom-jobs create|\btrain_model\b)",
            re.I,
        ),
    ),
    (
        "ci.container",
        re.compile(
            r"(docker (image )?build|docker buildx|buildah bud|kaniko|docker/build-push-action|"
            r"Docker@\d|podman build|gcloud builds submit)",
            re.I,
        ),
    ),
    (
        "ci.deploy",
        re.compile(
            r"(kubectl (apply|rollout)|helm (upgrade|install)|\bdeploy\w*\.py\b|"
            r"az ml online-(deployment|endpoint)|gcloud ai endpoints deploy-model|"
            r"terraform apply|sam deploy|cdk deploy|serverless deploy|\bmake deploy\b|"
            r"sagemaker.*(deploy|endpoint))",
            re.I,
        ),
    ),
    (
        "ci.register",
        re.compile(
            r"(\bregister\w*\.py\b|-m [\w.]*register\w*|az ml model (create|register)|"
            r"gcloud ai models upload|mlflow models? register|register_model)",
            re.I,
        ),
    ),
)
_RUN_LINE = re.compile(
    r"^\s*(-\s*)?(run|script|bash|sh|pwsh|powershell|command|- |inlineScript)\b|"
    r"^\s*-\s+\S|^\s*sh\s*['\"(]|^\s*(uses|task)\s*:",
    re.I,
)


def ci_system(path: str) -> str:
    """Which CI system a path belongs to ("" when it is no CI definition)."""
    low = path.lower()
    name = low.rsplit("/", 1)[-1]
    if low.startswith(".github/workflows/") and name.endswith((".yml", ".yaml")):
        return "github"
    if name == ".gitlab-ci.yml":
        return "gitlab"
    if name in ("azure-pipelines.yml", "azure-pipelines.yaml") or (
        low.startswith(".azure-pipelines/") and name.endswith((".yml", ".yaml"))
    ):
        return "azure"
    if name == "jenkinsfile" or name.endswith(".jenkinsfile"):
        return "jenkins"
    if low == ".circleci/config.yml":
        return "circleci"
    return ""


def _line_of(lines: list[str], *needles: str) -> int:
    for i, line in enumerate(lines, 1):
        if any(n in line for n in needles):
            return i
    return 1


def _load_yaml(path: str, text: str) -> Any:
    import yaml

    if len(text) > MAX_YAML_BYTES:
        raise ValueError(f"larger than {MAX_YAML_BYTES // 1024} KB")
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ValueError(f"not valid YAML{where}") from None


def _events(system: str, doc: Any, text: str) -> tuple[bool, bool]:
    """(runs on push/PR, runs on a schedule)."""
    low = text.lower()
    if system == "github":
        on = doc.get("on", doc.get(True)) if isinstance(doc, dict) else None
        keys: set[str] = set()
        if isinstance(on, str):
            keys = {on}
        elif isinstance(on, list):
            keys = {str(k) for k in on}
        elif isinstance(on, dict):
            keys = {str(k) for k in on}
        return bool(keys & {"push", "pull_request", "merge_group"}), "schedule" in keys
    if system == "gitlab":
        sched = "schedules" in low or '"schedule"' in low or "== schedule" in low
        return True, sched
    if system == "azure":
        on_push = not (isinstance(doc, dict) and doc.get("trigger") in ("none", None, False))
        if isinstance(doc, dict) and "trigger" not in doc:
            on_push = True  # Azure Pipelines runs on every push by default
        return on_push, isinstance(doc, dict) and bool(doc.get("schedules"))
    if system == "jenkins":
        sched = bool(re.search(r"\bcron\s*\(", text))
        push = bool(re.search(r"githubPush|pollSCM|gitlab\(|bitbucketPush", text))
        return push, sched
    if system == "circleci":
        return True, "schedule:" in low or "scheduled" in low
    return False, False


def scan_ci(path: str, text: str) -> list[Finding]:
    """Findings of one CI definition; raises ValueError (with the place) when unreadable."""
    system = ci_system(path)
    if not system:
        return []
    doc: Any = None
    if system != "jenkins":
        doc = _load_yaml(path, text)
        if not isinstance(doc, dict):
            raise ValueError("is not a mapping of CI settings")
    lines = text.splitlines()
    out = [Finding("ci.workflow", path, 1, f"{system} CI definition")]
    on_push, on_schedule = _events(system, doc, text)
    if on_push:
        out.append(
            Finding(
                "ci.on_push",
                path,
                _line_of(lines, "push", "pull_request", "trigger"),
                "runs on push",
            )
        )
    if on_schedule:
        out.append(
            Finding("ci.schedule", path, _line_of(lines, "cron", "schedule"), "runs on a schedule")
        )
    seen: set[str] = set()
    for i, line in enumerate(lines, 1):
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "//")):
            continue
        if system != "jenkins" and not _RUN_LINE.search(line) and not line.startswith((" ", "\t")):
            continue
        for kind, pattern in COMMANDS:
            if kind not in seen and pattern.search(stripped):
                seen.add(kind)
                out.append(Finding(kind, path, i, stripped[:120]))
    return out
