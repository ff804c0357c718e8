"""Rules that place an external step in the lifecycle: a stage kind and the reason.

The kind (``train``, ``evaluate``, ``register``...) is the same signal native stage specs
carry; each vendor's lifecycle (``resources/lifecycles/*.json``) maps it to a phase, so an
imported step lands in the AWS, Google, Azure and TDSP phases like a native stage. Rules are
tried in order: the vendor's step type when it says what the step does, then words in the
step's name and component, then its command, then its container image.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mlops_desktop.core.cloud.model import ExternalPipeline, ExternalStep

OTHER = "other"
# Every kind a step may be given (the user can correct the rule's choice to any of these).
KINDS = (
    "data_ingest",
    "data_validate",
    "data_transform",
    "feature_eng",
    "feature_store",
    "train",
    "tune",
    "evaluate",
    "model_validate",
    "register",
    "approve",
    "package",
    "deploy",
    "serve",
    "monitor",
    "test_unit",
    "test_integration",
    "test_load",
    OTHER,
)

# (vendor step type, kind, why)
TYPE_RULES: dict[str, tuple[str, str]] = {
    "Training": ("train", "a SageMaker Training step trains a model"),
    "Tuning": ("tune", "a SageMaker Tuning step tunes hyperparameters"),
    "AutoML": ("tune", "an AutoML step searches models and hyperparameters"),
    "RegisterModel": ("register", "a RegisterModel step registers a model version"),
    "Model": ("register", "a Model step creates or registers a model"),
    "CreateModel": ("package", "a CreateModel step packages the model for hosting"),
    "Transform": ("serve", "a Transform step runs batch inference"),
    "sweep": ("tune", "an Azure ML sweep job tunes hyperparameters"),
    "automl": ("train", "an Azure ML AutoML job trains models"),
    "import": ("data_ingest", "an Azure ML import job brings data in"),
    "data_transfer": ("data_ingest", "an Azure ML data transfer job moves data in"),
    "importer": ("data_ingest", "a KFP importer brings an artifact in"),
}
CHECK_RULES: dict[str, tuple[str, str]] = {
    "DATA_QUALITY": ("data_validate", "a data quality check validates the data"),
    "DATA_BIAS": ("data_validate", "a data bias check validates the data"),
    "MODEL_QUALITY": ("evaluate", "a model quality check evaluates the model"),
    "MODEL_BIAS": ("evaluate", "a model bias check evaluates the model"),
    "MODEL_EXPLAINABILITY": ("evaluate", "an explainability check evaluates the model"),
}
WORD_RULES: tuple[tuple[str, str], ...] = (
    ("monitor", r"monitor|drift|skew"),
    ("model_validate", r"model.?valid|validate.?model|blessing|champion|challenger|compare.?model"),
    ("approve", r"approv"),
    ("deploy", r"deploy|endpoint|rollout|serving|release"),
    ("register", r"regist|upload.?model|model.?upload|push.?model"),
    ("tune", r"tun(e|ing)|hyperparam|\bhpo\b|sweep"),
    ("train", r"train|\bfit\b|estimator|xgboost|automl"),
    ("serve", r"batch.?predict|inference|\bserve"),
    ("evaluate", r"eval|\bscor|metric|\btest.?model|assess|predict"),
    ("data_validate", r"valid|quality|schema|expectation|tfdv|statistics|\bcheck"),
    ("feature_store", r"feature.?(store|group)|featurestore|online.?store|offline.?store"),
    ("feature_eng", r"feature"),
    ("package", r"package|build.?image|docker|export.?model|\bcreate.?model"),
    ("data_transform", r"split|preprocess|\bprep|clean|transform|process|etl|\bjoin|encode"),
    ("data_ingest", r"ingest|\bload|download|extract|import|fetch|query|bigquery|read.?data"),
)
_COMPILED = tuple((kind, re.compile(pattern)) for kind, pattern in WORD_RULES)
FALLBACK: dict[str, tuple[str, str]] = {
    "Processing": ("data_transform", "a Processing step with no more telling name processes data"),
    "EMR": ("data_transform", "an EMR step with no more telling name processes data"),
}


@dataclass(frozen=True, slots=True)
class Placement:
    kind: str
    reason: str


def _words(value: str) -> str:
    return re.sub(r"[_\-./:]+", " ", value.lower())


def place_step(step: ExternalStep, gated_by_metric: bool = False) -> Placement:
    """The kind of ``step`` and why."""
    if gated_by_metric:
        return Placement("model_validate", "a condition on an evaluation metric gates what follows")
    check = step.inputs.get("CheckType", "").upper()
    if check in CHECK_RULES:
        return Placement(*CHECK_RULES[check])
    if step.step_type in TYPE_RULES:
        return Placement(*TYPE_RULES[step.step_type])
    tail = step.image.rsplit("/", 1)[-1]
    for field, value in (
        ("name", f"{step.name} {step.component}"),
        ("command", step.command),
        ("image", tail),
    ):
        words = _words(value)
        for kind, pattern in _COMPILED:
            hit = pattern.search(words)
            if hit:
                return Placement(kind, f"its {field} mentions '{hit.group(0).strip()}'")
    if step.step_type in FALLBACK:
        return Placement(*FALLBACK[step.step_type])
    return Placement(OTHER, "nothing in its type, name, command or image says what it does")


def metric_gates(ext: ExternalPipeline) -> dict[str, str]:
    """Condition steps that gate registration or deployment on a metric: step key -> why."""
    out: dict[str, str] = {}
    kinds = {s.key: place_step(s).kind for s in ext.steps}
    for gate in ext.gates:
        gated = [k for k in gate.if_steps if kinds.get(k) in ("register", "deploy", "package")]
        reads_metric = bool(gate.metrics) or any(
            kinds.get(d.step) == "evaluate"
            for s in ext.steps
            if s.key == gate.step
            for d in s.after
        )
        if gated and reads_metric:
            out[gate.step] = ", ".join(gated)
    return out
