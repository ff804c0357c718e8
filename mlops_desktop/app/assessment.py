"""AssessmentService: judges a project's MLOps maturity from the workspace's evidence.

It gathers a :class:`~mlops_desktop.core.maturity.facts.ProjectFacts` snapshot (pipelines
with their triggers, runs with metrics, model registry, deployments, monitoring alerts,
imported CI results, the attached git repository, questionnaire answers), evaluates it
with :mod:`mlops_desktop.core.maturity`, and stores each assessment so maturity can be
followed over time. It also records answers, attaches git repositories
(:meth:`current_commit` is what a run records as its commit) and imports JUnit reports.
"""

from __future__ import annotations

import logging
import subprocess
import time
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import SQLAlchemyError

from mlops_desktop.app.history_reads import HistoryReads
from mlops_desktop.app.repo_scan import head_commit, scan_repository
from mlops_desktop.core.errors import MlopsError, NotFoundError
from mlops_desktop.core.evidence.findings import RepoScan
from mlops_desktop.core.graph import Pipeline
from mlops_desktop.core.maturity import models as mm
from mlops_desktop.core.maturity.facts import (
    AlertFacts,
    Answer,
    AssessmentRecord,
    CiResultFacts,
    DeploymentFacts,
    ModelVersionFacts,
    PipelineFacts,
    ProjectFacts,
    ProjectSummary,
    RunFacts,
)
from mlops_desktop.core.maturity.gaps import GapReport, choose_pipeline, gaps
from mlops_desktop.core.maturity.junit import parse_junit_file
from mlops_desktop.core.maturity.scoring import SUGGESTED, Assessment, CriterionResult, assess
from mlops_desktop.core.operations import Compound
from mlops_desktop.core.registry import StageRegistry, default_registry
from mlops_desktop.core.serialization import from_dict, to_dict
from mlops_desktop.storage.assessments import AssessmentStore

if TYPE_CHECKING:
    from mlops_desktop.app.workspace import Workspace

log = logging.getLogger(__name__)
GIT_TIMEOUT_S = 5.0
SCAN_REUSE_S = 30.0


@dataclass(frozen=True, slots=True)
class QuestionItem:
    """One question to show: a questionnaire item, a manual ML Test Score test, or a suggestion to confirm."""

    id: str
    question: str
    group: str
    help: str
    answer: Answer | None = None
    criteria: tuple[str, ...] = ()
    suggested: bool = False


def _git(args: list[str]) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            ["git", *args], capture_output=True, text=True, timeout=GIT_TIMEOUT_S, check=False
        )
    except FileNotFoundError:
        raise MlopsError("git is not installed, so a repository cannot be attached") from None
    except subprocess.TimeoutExpired:
        raise MlopsError(f"git did not answer within {GIT_TIMEOUT_S:g} s") from None


class AssessmentService:
    def __init__(
        self,
        workspace: Workspace,
        registry: StageRegistry | None = None,
        *,
        reads: HistoryReads | None = None,
    ) -> None:
        self.ws = workspace
        # the run history read by the piece of work this assessment belongs to (a report);
        # without one, every assessment reads the history afresh
        self.reads = reads
        self.registry = registry if registry is not None else default_registry()
        self.store = AssessmentStore(workspace.db)
        self._scans: dict[tuple[str, str], tuple[float, RepoScan]] = {}

    # ------------------------------------------------------------------ facts
    def facts(self, project: str | int) -> ProjectFacts:
        proj = self.ws.projects.get(project)
        pipelines = self._pipelines(proj.id)
        names = {pf.id: pf.name for pf in pipelines}
        runs = self._runs(proj.id, names)
        versions, registry_known = self._model_versions(proj.id)
        digests: dict[tuple[str, int | None], str] = {
            (v.name, v.version): v.digest for v in versions
        }
        repo = self.store.repo(proj.id)
        return ProjectFacts(
            project=proj.name,
            pipelines=tuple(pipelines),
            runs=tuple(runs),
            model_versions=tuple(versions),
            deployments=tuple(
                replace(d, digest=digests.get((d.model_name, d.model_version), ""))
                for d in self._deployments(proj.id)
            ),
            alerts=tuple(self._alerts(proj.id)),
            ci_results=tuple(self.store.ci_results(proj.id)),
            repo=repo,
            repo_scan=self._scan(repo),
            answers=self.store.answers(proj.id),
            projects=tuple(self._projects()),
            registry_known=registry_known,
        )

    def _scan(self, repo: str) -> RepoScan | None:
        """The attached repository's scan (None when none is attached or it is gone)."""
        if not repo or not Path(repo).is_dir():
            return None
        # one scan per repository and HEAD commit for a short while: assessing twice in a
        # row (the view's refresh, then its questionnaire) reads the files once
        key = (repo, head_commit(Path(repo)))
        cached = self._scans.get(key)
        if cached is not None and time.monotonic() - cached[0] < SCAN_REUSE_S:
            return cached[1]
        try:
            scan = scan_repository(repo)
        except MlopsError as exc:
            log.warning("cannot scan %s: %s", repo, exc)
            return None
        self._scans = {key: (time.monotonic(), scan)}
        return scan

    def scan_repo(self, project: str | int) -> RepoScan | None:
        return self._scan(self.repo(project))

    def _pipelines(self, project_id: int) -> list[PipelineFacts]:
        triggers = self._trigger_records(project_id)
        out = []
        for info in self.ws.pipelines.list(project_id):
            version = self.ws.pipelines.latest(info.id)
            doc = dict(version.document)
            doc["name"] = info.name
            pipeline = from_dict(doc, self.registry)
            out.append(
                PipelineFacts(
                    info.name,
                    pipeline,
                    info.id,
                    version.id,
                    version.created_at,
                    tuple(triggers.get(info.id, ())),
                )
            )
        return out

    def _trigger_records(self, project_id: int) -> dict[int, list[dict[str, Any]]]:
        """Triggers kept by the operate side's trigger table (beside ``meta["triggers"]``)."""
        try:
            from mlops_desktop.storage.triggers import TriggerStore

            records = TriggerStore(self.ws.db).list(project_id)
        except (ImportError, AttributeError, SQLAlchemyError) as exc:
            log.debug("no trigger records: %s", exc)
            return {}
        out: dict[int, list[dict[str, Any]]] = {}
        for t in records:
            if t.declared:
                # A copy of a trigger declared in the pipeline document, which is the truth
                # for it (the copy may lag behind an edit until the trigger service syncs).
                continue
            out.setdefault(t.pipeline_id, []).append(
                {**dict(t.config), "type": t.type, "enabled": t.enabled}
            )
        return out

    def _runs(self, project_id: int, names: dict[int | None, str]) -> list[RunFacts]:
        reads = self.reads if self.reads is not None else HistoryReads(self.ws)
        runs = reads.runs(project_id)
        # the stages' node, type and status of every run in one query (no logs)
        stages = reads.stage_facts(project_id) if runs else {}
        metrics = reads.latest(project_id) if runs else {}
        out = []
        for r in runs:
            out.append(
                RunFacts(
                    id=r.id,
                    pipeline_name=names.get(r.pipeline_id, str(r.pipeline_id)),
                    status=str(r.status),
                    trigger=r.trigger,
                    environment=r.environment,
                    pipeline_id=r.pipeline_id,
                    pipeline_version_id=r.pipeline_version_id,
                    commit=r.commit,
                    executor=r.executor,
                    params=r.params,
                    metrics=metrics.get(r.id, {}),
                    input_hashes=r.input_hashes,
                    duration_s=r.duration_s,
                    started_at=r.started_at or r.created_at,
                    stages=stages.get(r.id, ()),
                )
            )
        return out

    def _model_versions(self, project_id: int) -> tuple[list[ModelVersionFacts], bool]:
        try:
            from mlops_desktop.storage.registry import RegistryStore

            store = RegistryStore(self.ws.db)
            out = []
            for model in store.models(project_id):
                for v in store.versions(project_id, model.name):
                    out.append(
                        ModelVersionFacts(
                            v.model_name,
                            v.version,
                            v.run_id,
                            tuple(v.aliases),
                            v.created_at,
                            dict(v.metrics),
                            v.approver,
                            v.artifact_digest,
                        )
                    )
            return out, True
        except (ImportError, AttributeError, SQLAlchemyError) as exc:
            log.debug("no model registry: %s", exc)
            return [], False

    def _deployments(self, project_id: int) -> list[DeploymentFacts]:
        try:
            from mlops_desktop.storage.deployments import DeploymentStore

            rows = DeploymentStore(self.ws.db).list(project_id)
        except (ImportError, AttributeError, SQLAlchemyError) as exc:
            log.debug("no deployments: %s", exc)
            return []
        return [
            DeploymentFacts(
                d.id,
                d.environment,
                d.strategy,
                d.approver,
                d.created_at,
                d.model_name,
                d.version,
                d.run_id,
                d.status,
                d.traffic_share,
            )
            for d in rows
        ]

    def _alerts(self, project_id: int) -> list[AlertFacts]:
        try:
            from mlops_desktop.storage.triggers import TriggerStore

            rows = TriggerStore(self.ws.db).alerts(project_id)
        except (ImportError, AttributeError, SQLAlchemyError) as exc:
            log.debug("no alerts: %s", exc)
            return []
        return [
            AlertFacts(a.id, a.kind, a.message, a.node_id, a.run_id, a.created_at) for a in rows
        ]

    def _projects(self) -> list[ProjectSummary]:
        out = []
        for p in self.ws.projects.list():
            prod = [
                d.created_at
                for d in self._deployments(p.id)
                if d.environment in ("production", "prod") and d.created_at is not None
            ]
            out.append(
                ProjectSummary(p.name, p.template, p.created_at, min(prod) if prod else None)
            )
        return out

    # ------------------------------------------------------------------ assessing
    def assess(
        self, project: str | int, *, save: bool = True, repo: str | Path | None = None
    ) -> Assessment:
        """Judge the project in every model; store the result (for maturity over time).
        ``repo`` scans that folder for this assessment instead of the attached repository."""
        facts = self.facts(project)
        if repo is not None:
            scan = scan_repository(repo)
            facts = replace(facts, repo=scan.root, repo_scan=scan)
        result = assess(facts)
        if save:
            proj = self.ws.projects.get(project)
            reports = gaps(result)
            rows: list[tuple[str, float, float, dict[str, Any]]] = []
            for model_id, score in result.models.items():
                rows.append(
                    (
                        model_id,
                        score.level,
                        score.normalized,
                        {**score.to_dict(), "gaps": reports[model_id].to_dict()},
                    )
                )
            rows.append(
                (
                    "mlts",
                    result.mlts.final,
                    result.mlts.final,
                    {**result.mlts.to_dict(), "gaps": reports["mlts"].to_dict()},
                )
            )
            rows.append(
                (
                    "crosswalk",
                    result.crosswalk.level,
                    result.crosswalk.level,
                    {**result.crosswalk.to_dict(), "gaps": reports["crosswalk"].to_dict()},
                )
            )
            self.store.add(proj.id, rows, at=result.time)
        return result

    def gaps(self, result: Assessment) -> dict[str, GapReport]:
        return gaps(result)

    def history(self, project: str | int, model: str | None = None) -> list[AssessmentRecord]:
        return self.store.history(self.ws.projects.get(project).id, model)

    # ------------------------------------------------------------------ questionnaire
    def valid_question(self, question_id: str) -> bool:
        """Whether ``question_id`` names a question: a questionnaire item, ``q.manual_test_docs:<test>``
        or ``confirm:<criterion>`` for a PARTIAL criterion."""
        qn = mm.load_questionnaire()
        question = qn.get(question_id)
        if question is not None:
            return not question.per_test
        prefix, _, rest = question_id.partition(":")
        per_test = next((q.id for q in qn.questions if q.per_test), "")
        if prefix == per_test:
            return any(t.id == rest for t in mm.load_mlts().tests)
        if prefix == "confirm":
            return any(c.question == question_id for c in mm.all_criteria())
        return False

    def answer(
        self, project: str | int, question_id: str, value: str, document: str = ""
    ) -> Answer:
        if not self.valid_question(question_id):
            raise NotFoundError(
                f"unknown question '{question_id}' (see the questionnaire for the ids)"
            )
        return self.store.answer(self.ws.projects.get(project).id, question_id, value, document)

    def answers(self, project: str | int) -> dict[str, Answer]:
        return self.store.answers(self.ws.projects.get(project).id)

    def answer_history(self, project: str | int, question_id: str) -> list[Answer]:
        return self.store.answer_history(self.ws.projects.get(project).id, question_id)

    def questionnaire(
        self, project: str | int, result: Assessment | None = None
    ) -> list[QuestionItem]:
        """The ASK questions, manual ML Test Score tests and PARTIAL suggestions to confirm."""
        answers = self.answers(project)
        result = result or assess(self.facts(project))
        qn = mm.load_questionnaire()
        items: list[QuestionItem] = []
        for q in qn.questions:
            if q.per_test:
                continue
            items.append(
                QuestionItem(q.id, q.question, q.group, q.help, answers.get(q.id), q.feeds)
            )
        manual = qn.get("q.manual_test_docs")
        for t in result.mlts.tests:
            if t.mode != "automated" and t.test.detect != "ASK" and manual is not None:
                qid = f"{manual.id}:{t.test.id}"
                items.append(
                    QuestionItem(
                        qid,
                        f"{t.test.id} {t.test.text}: run by hand, documented and shared?",
                        "ML Test Score (manual tests)",
                        manual.help,
                        answers.get(qid),
                        (t.test.id,),
                    )
                )
        seen = set()
        for r in self._partial_results(result):
            qid = r.criterion.question
            if not qid.startswith("confirm:") or qid in seen:
                continue
            if r.status == SUGGESTED or qid in answers:
                seen.add(qid)
                title = mm.MODEL_TITLES.get(r.criterion.model, r.criterion.model.capitalize())
                help_text = qn.confirm_help
                if r.evidence:
                    help_text += " Evidence: " + "; ".join(e.label for e in r.evidence[:4])
                text = (
                    r.criterion.text
                    if r.criterion.polarity == "+"
                    else f"still true: {r.criterion.text}"
                )
                if r.criterion.polarity == "-":
                    help_text += " (Yes means this still describes the project.)"
                items.append(
                    QuestionItem(
                        qid,
                        f"{title}: {text}?",
                        "Confirm suggestions",
                        help_text,
                        answers.get(qid),
                        (r.criterion.key,),
                        suggested=not r.confirmed,
                    )
                )
        order = {g: i for i, g in enumerate(qn.groups)}
        return sorted(items, key=lambda i: order.get(i.group.split(" (")[0], len(order)))

    @staticmethod
    def _partial_results(result: Assessment) -> list[CriterionResult]:
        out: list[CriterionResult] = []
        for score in result.models.values():
            out += [r for r in (*score.results, *score.checks) if r.criterion.detect == "PARTIAL"]
        out += [t.result for t in result.mlts.tests if t.test.detect == "PARTIAL"]
        out += [r for _, r in result.crosswalk.capabilities if r.criterion.detect == "PARTIAL"]
        return out

    # ------------------------------------------------------------------ evidence
    def attach_repo(self, project: str | int, path: str | Path) -> str:
        """Attach a git repository; returns its current commit. Every run records it."""
        proj = self.ws.projects.get(project)
        folder = Path(path).expanduser()
        if not folder.is_dir():
            raise MlopsError(f"{folder} is not a folder")
        top = _git(["-C", str(folder), "rev-parse", "--show-toplevel"])
        if top.returncode != 0:
            raise MlopsError(f"{folder} is not inside a git repository")
        root = top.stdout.strip()
        self.store.set_repo(proj.id, root)
        return self.current_commit(proj.id)

    def detach_repo(self, project: str | int) -> None:
        self.store.remove_repo(self.ws.projects.get(project).id)

    def repo(self, project: str | int) -> str:
        return self.store.repo(self.ws.projects.get(project).id)

    def current_commit(self, project: str | int) -> str:
        """The HEAD commit of the project's repository, or "" (no repository, or git fails).

        RunService calls this when it creates a run, so every run records its commit."""
        repo = self.store.repo(self.ws.projects.get(project).id)
        if not repo:
            return ""
        try:
            head = _git(["-C", repo, "rev-parse", "HEAD"])
        except MlopsError as exc:
            log.warning("cannot read the commit of %s: %s", repo, exc)
            return ""
        return head.stdout.strip() if head.returncode == 0 else ""

    def import_junit(
        self, project: str | int, path: str | Path, kind: str | None = None, commit: str = ""
    ) -> list[CiResultFacts]:
        """Import a JUnit XML report from CI (every suite in it, in one transaction)."""
        proj = self.ws.projects.get(project)
        suites = parse_junit_file(path, kind, commit)
        return self.store.add_ci_results(proj.id, suites, source=Path(path).name)

    # ------------------------------------------------------------------ fixes
    def pipelines(self, project: str | int) -> list[tuple[str, Pipeline]]:
        return [(pf.name, pf.pipeline) for pf in self._pipelines(self.ws.projects.get(project).id)]

    def fix_for(self, project: str | int, fix: str) -> tuple[str, Compound] | None:
        """The pipeline edit for a gap's fix, against the latest saved pipelines."""
        return choose_pipeline(fix, self.pipelines(project))

    def apply_fix(self, project: str | int, fix: str) -> tuple[str, int] | None:
        """Apply a fix headless and save the pipeline; returns (pipeline, new version)."""
        proj = self.ws.projects.get(project)
        found = self.fix_for(proj.id, fix)
        if found is None:
            return None
        name, op = found
        pipeline = dict(self.pipelines(proj.id))[name]
        pipeline.apply(op)
        info = self.ws.pipelines.get(proj.id, name)
        version = self.ws.pipelines.save(info.id, to_dict(pipeline), op.label)
        return name, version.version


def time_series(records: list[AssessmentRecord]) -> dict[str, list[tuple[datetime, float]]]:
    """Stored scores per model as (time, normalized score) points, for maturity over time."""
    out: dict[str, list[tuple[datetime, float]]] = {}
    for rec in records:
        out.setdefault(rec.model, []).append((rec.created_at, rec.score))
    return out
