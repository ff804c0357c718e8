"""Evidence rules: one evaluation function per signal named in the criteria's ``check``
expressions (``resources/maturity/*.json``).

A criterion's ``check`` is a small expression over signals: ``&`` (and), ``|`` (or), ``!``
(not) and parentheses; inside a signal ``a/b`` means any of a or b and ``a>b`` a path in
the graph. Examples: ``edge:data_validate>train/tune``, ``!ci.any & !node:deploy``,
``loop:monitor>train & run.trigger:monitor_alert``. The framework and the graph and run
signals live in :mod:`.rules_base`, the operate-side signals in :mod:`.rules_operate`;
this module holds the table that names them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mlops_desktop.core.maturity import rules_base as _b
from mlops_desktop.core.maturity import rules_behaviour as _h
from mlops_desktop.core.maturity import rules_cloud as _c
from mlops_desktop.core.maturity import rules_operate as _o
from mlops_desktop.core.maturity.rules_base import (
    EvidenceRef,
    Outcome,
    RuleError,
    parse,
)

SIGNALS: dict[str, Callable[[_b.Evaluator, str], Outcome]] = {
    "node": _b.sig_node,
    "edge": _b.sig_edge,
    "loop": _b.sig_loop,
    "trigger": _c.with_declared_schedules(_b.sig_trigger),
    "node.registered": _b.sig_node_registered,
    "run.trigger": _c.with_schedule_note(_b.sig_run_trigger),
    "run.env": _h.sig_run_env,
    "run.where": _h.sig_run_where,
    "run.ct": _h.sig_run_ct,
    "run.symmetry": _h.sig_run_symmetry,
    "run.commit": _c.app_runs_only(_b.sig_run_commit),
    "run.params": _c.with_declared_parameters(_c.app_runs_only(_h.sig_run_params)),
    "run.metrics": _c.app_runs_only(_b.sig_run_metrics),
    "run.inputs": _c.app_runs_only(_b.sig_run_inputs),
    "run.metadata": _c.app_runs_only(_h.sig_run_metadata),
    "run.executor": _h.sig_run_executor,
    "run.duration": _b.sig_run_duration,
    "run.reproducible": _c.with_declared_caching(_h.sig_run_reproducible),
    "run.baseline": _h.sig_run_baseline,
    "run.slices": _h.sig_run_slices,
    "run.importance": _h.sig_run_importance,
    "run.fairness": _h.sig_run_fairness,
    "model.version": _o.sig_model_version,
    "lineage": _o.sig_lineage,
    "deploy.any": _o.sig_deploy_any,
    "deploy.env": _o.sig_deploy_env,
    "deploy.rate": _h.sig_deploy_rate,
    "deploy.strategy": _o.sig_deploy_strategy,
    "deploy.approver": _o.sig_deploy_approver,
    "deploy.sequence": _o.sig_deploy_sequence,
    "deploy.envs": _o.sig_deploy_envs,
    "deploy.same_version": _o.sig_deploy_same_version,
    "deploy.by_pipeline": _o.sig_deploy_by_pipeline,
    "deploy.lead_time": _o.sig_deploy_lead_time,
    "mon.any": _o.sig_mon_any,
    "mon.alert": _o.sig_mon_alert,
    "mon.quality": _o.sig_mon_quality,
    "ci.any": _h.ci_signal("any"),
    "ci.unit": _h.ci_signal("unit"),
    "ci.integration": _h.ci_signal("integration"),
    "ci.load": _h.ci_signal("load"),
    "run.stage": _c.sig_run_stage,
    "data.enforced": _c.with_declared(_h.sig_data_enforced, {"data_validate"}),
    "gate.champion": _c.sig_gate_champion,
    "deploy.share": _h.sig_deploy_share,
    "retrain.learned": _h.sig_retrain_learned,
    "mon.latency": _h.sig_mon_latency,
    "repo.find": _h.sig_repo_find,
    "repo": _o.sig_repo,
    "ask": _o.sig_ask,
    "projects.count": lambda ev, arg: _o.sig_projects(ev, f"count:{arg}"),
    "projects.templated": lambda ev, arg: _o.sig_projects(ev, f"templated:{arg}"),
    "projects.time_to_value": lambda ev, arg: _o.sig_projects(ev, "time_to_value"),
}


class Evaluator(_b.Evaluator):
    """The rule evaluator with every signal of :data:`SIGNALS`."""

    signals = SIGNALS


def atoms_of(expr: str) -> list[str]:
    """The signal atoms an expression uses (for validating the data files)."""
    out: list[str] = []

    def walk(tree: tuple[Any, ...]) -> None:
        if tree[0] == "atom":
            out.append(tree[1])
        else:
            for sub in tree[1:]:
                walk(sub)

    walk(parse(expr))
    return out


__all__ = ["SIGNALS", "Evaluator", "EvidenceRef", "Outcome", "RuleError", "atoms_of", "parse"]
