"""The stage a failure asks for, and where it goes.

A stage that fails for want of another stage says so in one phrase of its message:
"add a Feature engineering stage before this one", optionally followed by parameters
("with one_hot off"). This module is the one place that reads that phrase:
:func:`parse_remedy` turns it into a stage title and parameters, :func:`fix_for_stage` into
an insertion on the pipeline (the stage's type and parameters and the link feeding the
failed stage, which the new stage goes on), and :func:`run_fixes` does it for the failed
stages of a recorded run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlops_desktop.core.entities import StageStatus
from mlops_desktop.core.errors import MlopsError
from mlops_desktop.core.operations import ports_on_link

if TYPE_CHECKING:
    from mlops_desktop.app.workspace import Workspace
    from mlops_desktop.core.graph import Pipeline
    from mlops_desktop.core.specs import StageSpec

# "add a Feature engineering stage before this one with one_hot off, or ..."
REMEDY = re.compile(
    r"\badd an? (?P<title>[A-Z][\w -]*?) stage(?: before this one)?"
    r"(?: with (?P<settings>[\w.-]+ [\w.-]+(?: and [\w.-]+ [\w.-]+)*))?"
)
SWITCH = {"on": True, "off": False}


@dataclass(frozen=True)
class Remedy:
    """A stage a message asks to add: its title and the parameters it names."""

    title: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StageFix:
    """Insert a ``stage_type`` stage (with ``params``) on ``link_id``, the link that feeds
    the failed stage ``node_id``."""

    stage_type: str
    stage_title: str
    params: dict[str, Any]
    node_id: str
    node_title: str
    link_id: str

    @property
    def label(self) -> str:
        """What the offer says: "Insert Feature engineering before Train"."""
        return f"Insert {self.stage_title} before {self.node_title}"


def parse_remedy(message: str) -> Remedy | None:
    """The stage ``message`` asks to add (None when it names none)."""
    found = REMEDY.search(message)
    if found is None:
        return None
    params: dict[str, Any] = {}
    for setting in (found["settings"] or "").split(" and "):
        if setting:
            name, value = setting.split(" ", 1)
            value = value.rstrip(".")
            params[name] = SWITCH.get(value, value)
    return Remedy(found["title"].strip(), params)


def _spec_titled(pipeline: Pipeline, title: str) -> StageSpec | None:
    wanted = title.casefold()
    return next((s for s in pipeline.registry if s.title.casefold() == wanted), None)


def fix_for_stage(pipeline: Pipeline, node_id: str, error: str) -> StageFix | None:
    """The insertion that ``error`` (the failure of stage ``node_id``) asks for, on the link
    that feeds that stage; None when the message names no stage, names one the registry
    does not have, or no link into the stage can take it."""
    remedy = parse_remedy(error)
    node = pipeline.nodes.get(node_id)
    if remedy is None or node is None:
        return None
    spec = _spec_titled(pipeline, remedy.title)
    if spec is None:
        return None
    try:
        params = spec.validate_params(remedy.params)
    except (MlopsError, ValueError, TypeError):
        params = spec.validate_params({})
    chosen = {k: v for k, v in params.items() if k in remedy.params}
    link = next(
        (lk for lk in pipeline.incoming(node_id) if ports_on_link(pipeline, lk, spec)), None
    )
    if link is None:
        return None
    return StageFix(spec.id, spec.title, chosen, node_id, node.title, link.id)


def run_fixes(workspace: Workspace, run_id: int, pipeline: Pipeline) -> list[StageFix]:
    """The insertions the failed stages of run ``run_id`` ask for on ``pipeline`` (the
    pipeline as it is now: stages removed since are left out)."""
    run = workspace.runs.get(run_id)
    fixes = []
    for stage in run.stages:
        if stage.status is StageStatus.FAILED and stage.error:
            fix = fix_for_stage(pipeline, stage.node_id, stage.error)
            if fix is not None:
                fixes.append(fix)
    return fixes
