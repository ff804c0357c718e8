"""What the Package stage writes: the skops model, a Markdown model card, an environment
spec with the exact installed versions, and a manifest of file digests."""

from __future__ import annotations

import hashlib
import json
import platform
import shutil
import sys
import zipfile
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from mlops_desktop.core.operate_entities import ModelVersion

# What loading and running the packaged model needs (each with its installed version).
RUNTIME_PACKAGES = ("scikit-learn", "numpy", "scipy", "pandas", "skops", "joblib", "threadpoolctl")


def environment_spec() -> dict[str, Any]:
    """Python and the exact versions of the packages the model needs."""
    versions: dict[str, str] = {}
    for name in RUNTIME_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return {
        "python": platform.python_version(),
        "implementation": sys.implementation.name,
        "platform": platform.platform(),
        "packages": versions,
    }


def requirements_text(env: dict[str, Any]) -> str:
    lines = [f"# Python {env['python']} ({env['implementation']})"]
    lines += [f"{name}=={version}" for name, version in sorted(env["packages"].items())]
    return "\n".join(lines) + "\n"


def _table(rows: list[tuple[str, str]], head: tuple[str, str]) -> list[str]:
    out = [f"| {head[0]} | {head[1]} |", "|---|---|"]
    out += [f"| {a} | {b} |" for a, b in rows]
    return out


def model_card(
    version: ModelVersion,
    model: Any,
    *,
    intended_use: str,
    limitations: str,
    env: dict[str, Any],
    checks: dict[str, Any],
) -> str:
    """The model card in Markdown: what it is, how good, on what data, for what, limits."""
    lines = [f"# Model card: {version.model_name} v{version.version}", ""]
    lines += [
        f"- Task: {version.task or 'unknown'}",
        f"- Estimator: {model.estimator_name or type(model.estimator).__name__}"
        f" (`{type(model.estimator).__module__}.{type(model.estimator).__name__}`)",
        f"- Registered: {version.created_at.isoformat(timespec='seconds')}",
        f"- Produced by run {version.run_id}, pipeline version {version.pipeline_version_id}",
        f"- Aliases: {', '.join(version.aliases) or 'none'}",
        f"- Approval: {version.approval or 'not reviewed'}"
        + (f" by {version.approver}" if version.approver else ""),
        "",
        "## Intended use",
        "",
        intended_use.strip() or "Not stated. Say who should use this model, for what decision.",
        "",
        "## Limitations",
        "",
        limitations.strip()
        or "Not stated. Trained on the data below only; behaviour outside its ranges is unknown.",
        "",
        "## Metrics",
        "",
    ]
    if version.metrics:
        lines += _table(
            [(k, f"{v:.4g}") for k, v in sorted(version.metrics.items())], ("metric", "value")
        )
    else:
        lines.append("No metrics were recorded with this version.")
    lines += ["", "## Data", ""]
    lines += [f"- Target: `{model.target or 'unknown'}`"]
    if model.classes:
        lines.append(f"- Classes: {', '.join(str(c) for c in model.classes)}")
    for name, digest in sorted(version.dataset_hashes.items()):
        lines.append(f"- Dataset `{name}`: content hash `{digest[:16]}`")
    lines += ["", f"Input schema ({len(version.feature_names)} features, in this order):", ""]
    lines += [f"{i + 1}. `{name}`" for i, name in enumerate(version.feature_names)]
    lines += ["", "## Parameters", ""]
    lines += _table([(k, f"`{v}`") for k, v in sorted(version.params.items())], ("name", "value"))
    if checks:
        lines += ["", "## Behavioural tests", ""]
        lines += _table([(k, str(v)) for k, v in sorted(checks.items())], ("check", "result"))
    lines += ["", "## Environment", "", f"Python {env['python']}; packages:", ""]
    lines += [f"- {n}=={v}" for n, v in sorted(env["packages"].items())]
    lines += [
        "",
        "Load with `skops.io.load('model.skops', trusted=[...])` after reviewing "
        "`skops.io.get_untrusted_types(file='model.skops')`.",
        "",
    ]
    return "\n".join(lines)


def write_package(folder: Path, files: dict[str, bytes]) -> tuple[Path, Path, dict[str, str]]:
    """Write ``files`` into ``folder`` and ``folder.zip`` atomically (temp name, rename).

    Returns the folder, the zip and the SHA-256 of each file (also in ``manifest.json``).
    """
    digests = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    manifest = {
        "format": "mlops-desktop/package",
        "version": 1,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "files": digests,
    }
    files = {**files, "manifest.json": json.dumps(manifest, indent=2).encode("utf-8")}
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    for name, data in files.items():
        (tmp / name).write_bytes(data)
    zip_tmp = folder.with_name(folder.name + ".zip.tmp")
    with zipfile.ZipFile(zip_tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in sorted(files.items()):
            zf.writestr(f"{folder.name}/{name}", data)
    if folder.exists():
        shutil.rmtree(folder)
    tmp.replace(folder)
    zip_path = folder.with_name(folder.name + ".zip")
    zip_tmp.replace(zip_path)
    return folder, zip_path, digests
