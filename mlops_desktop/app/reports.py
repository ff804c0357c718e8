"""ReportService: gather a project's report from the workspace and the other services.

Each section is gathered on its own and defensively: a capability that is missing from this
installation, or has no data for the project yet, leaves its section out and adds a short
note saying why, so a report is always produced. Plots are requested here as figures that
carry their plot data; :func:`mlops_desktop.qt.reports.pdf.render_images` draws them offscreen.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_desktop import __version__
from mlops_desktop.app.history_reads import HistoryReads
from mlops_desktop.core.errors import MlopsError, NotFoundError
from mlops_desktop.core.vendors import catalogue
from mlops_desktop.reports.html import headline_keys, write_html
from mlops_desktop.reports.model import (
    AutomationSection,
    DeploymentRow,
    Figure,
    FiringRow,
    ModelVersionRow,
    ProjectSummary,
    RegistrySection,
    ReportData,
    TransitionRow,
    TriggerRow,
)
from mlops_desktop.reports.sections import (
    pipeline_section,
    run_comparison,
    run_summary,
    scalar_metrics,
)

if TYPE_CHECKING:
    from mlops_desktop.app.workspace import Workspace
    from mlops_desktop.core.entities import PipelineInfo, Project, Run
    from mlops_desktop.core.graph import Pipeline
    from mlops_desktop.core.registry import StageRegistry

log = logging.getLogger(__name__)
LENSES = catalogue().ids()  # the vendor lenses a report can use
RECENT_RUNS = 12
TREND_MIN_RUNS = 2
DIAGNOSTICS_LOOKBACK = 10


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text if isinstance(exc, MlopsError) else f"{type(exc).__name__}: {text}"


def _drawable(diag: Any) -> bool:
    """Whether model diagnostics hold anything to draw."""
    return bool(
        diag.confusion is not None
        or diag.roc
        or diag.residuals is not None
        or diag.importance_names
    )


MAX_FIRINGS = 15  # the latest trigger firings listed in a report


class ReportService:
    """Builds :class:`ReportData` for a project and writes it as HTML.

    ``assessment`` is an optional maturity service (see :mod:`mlops_desktop.app.assessment`);
    when not given, one is created if that capability is installed.
    """

    def __init__(
        self,
        workspace: Workspace,
        registry: StageRegistry | None = None,
        *,
        assessment: Any = None,
    ) -> None:
        self.workspace = workspace
        self.registry = registry
        self._assessment = assessment
        self._reads = HistoryReads(workspace)

    # ------------------------------------------------------------------ public
    def build(
        self,
        project: str | int,
        run_id: int | None = None,
        lens: str | None = None,
        *,
        progress: Callable[[float, str], None] | None = None,
    ) -> ReportData:
        """Everything known about ``project`` (raises NotFoundError for an unknown project
        or a run that is not one of its runs; a bad lens is a clear error too)."""
        if lens is not None and lens not in LENSES:
            raise MlopsError(f"unknown lens '{lens}' (choose one of {', '.join(LENSES)})")
        ws = self.workspace
        proj = ws.projects.get(project)
        lens = lens or (proj.template if proj.template in LENSES else catalogue().default)
        # the runs and their latest metric values, read once for every section
        self._reads = HistoryReads(ws)
        runs = list(self._reads.runs(proj.id))
        run = self._chosen_run(proj, runs, run_id)
        pipelines = self._guard(None, "Pipelines", lambda: list(ws.pipelines.list(proj.id))) or []
        data = ReportData(
            project=self._summary(proj, pipelines, runs),
            generated_at=datetime.now(UTC),
            app_version=__version__,
            lens=lens,
        )
        steps: list[tuple[str, Callable[[], None]]] = [
            ("Pipeline", lambda: self._add_pipeline(data, pipelines, run, lens)),
            ("Runs", lambda: self._add_runs(data, run, runs, pipelines)),
            ("Plots", lambda: self._add_plots(data, proj, run, runs)),
            ("Model registry", lambda: self._add_registry(data, proj)),
            ("Triggers", lambda: self._add_automation(data, proj)),
            ("Continuous-training loop", lambda: self._add_loop(data, proj)),
            ("Maturity assessment", lambda: self._add_maturity(data, proj)),
        ]
        for i, (name, step) in enumerate(steps):
            if progress:
                progress(i / len(steps), f"Gathering {name.lower()}")
            self._guard(data, name, step)
        return data

    def write_html(self, data: ReportData, path: str | os.PathLike[str]) -> Path:
        """Write ``data`` as one self-contained HTML file (atomically)."""
        return write_html(data, path)

    # ----------------------------------------------------------------- helpers
    @staticmethod
    def _guard(data: ReportData | None, section: str, step: Callable[[], Any]) -> Any:
        """Run one gathering step; a failure leaves the section out with a note."""
        try:
            return step()
        except Exception as exc:  # noqa: BLE001 - one broken capability must not sink the report
            # A refusal the app explains (MlopsError) needs no traceback; anything else does.
            log.warning(
                "report section %s left out: %s",
                section,
                _one_line(exc),
                exc_info=not isinstance(exc, MlopsError),
            )
            if data is not None:
                data.omit(section, f"could not be read ({_one_line(exc)})")
            return None

    def _chosen_run(self, proj: Project, runs: list[Run], run_id: int | None) -> Run | None:
        if run_id is None:
            if not runs:
                return None
            return self.workspace.runs.get(runs[0].id)
        try:
            run = self.workspace.runs.get(run_id)
        except NotFoundError:
            raise NotFoundError(f"project '{proj.name}' has no run with id {run_id}") from None
        if run.project_id != proj.id:
            raise NotFoundError(f"project '{proj.name}' has no run with id {run_id}")
        return run

    def _summary(
        self, proj: Project, pipelines: list[PipelineInfo], runs: list[Run]
    ) -> ProjectSummary:
        facts: list[tuple[str, str]] = []
        finished = [r for r in runs if str(r.status) == "succeeded"]
        if runs:
            facts.append(("Runs succeeded", f"{len(finished)} of {len(runs)}"))
        return ProjectSummary(
            name=proj.name,
            description=proj.description,
            template=proj.template,
            created_at=proj.created_at,
            updated_at=proj.updated_at,
            pipelines=[p.name for p in pipelines],
            run_count=len(runs),
            facts=facts,
        )

    def _load_pipeline(self, info: PipelineInfo) -> tuple[Pipeline, int]:
        from mlops_desktop.core.serialization import from_dict

        version = self.workspace.pipelines.latest(info.id)
        pipeline = from_dict(version.document, self.registry)
        pipeline.name = info.name
        return pipeline, version.version

    # ---------------------------------------------------------------- sections
    def _add_pipeline(
        self, data: ReportData, pipelines: list[PipelineInfo], run: Run | None, lens: str
    ) -> None:
        if not pipelines:
            data.omit("Pipeline", "the project has no pipeline yet")
            return
        # the run's pipeline; with no run, the pipeline edited last (an imported one, say)
        latest = max(pipelines, key=lambda p: p.updated_at)
        info = next((p for p in pipelines if run and p.id == run.pipeline_id), latest)
        pipeline, version = self._load_pipeline(info)
        data.pipeline = pipeline_section(pipeline, lens, version)
        data.pipeline.edited_at = info.updated_at  # a reader wants a date, not an edit count
        caption = info.name
        if data.pipeline.lens_title:
            caption += f", by phase of the {data.pipeline.lens_title}"
        data.pipeline.picture = Figure(
            caption, kind="pipeline", data=(pipeline, lens), alt=f"Diagram of {info.name}"
        )
        if len(pipelines) > 1:
            others = ", ".join(p.name for p in pipelines if p.id != info.id)
            data.project.facts.append(("Other pipelines", others))

    def _add_runs(
        self, data: ReportData, run: Run | None, runs: list[Run], pipelines: list[PipelineInfo]
    ) -> None:
        if run is None:
            data.omit("Runs", "the project has not been run yet")
            return
        names = {p.id: p.name for p in pipelines}
        metrics = self.workspace.metrics.latest(run.id)
        data.latest_run = run_summary(run, metrics, pipeline=names.get(run.pipeline_id, ""))
        recent = runs[:RECENT_RUNS]
        by_run = self.workspace.metrics.latest_many([r.id for r in recent])
        if len(runs) > 1:
            data.recent_runs = run_comparison(recent, by_run, limit=RECENT_RUNS, total=len(runs))

    def _add_plots(self, data: ReportData, proj: Project, run: Run | None, runs: list[Run]) -> None:
        if run is None:
            data.omit("Plots", "no run has logged metrics yet")
            return
        from mlops_desktop.app import plot_data

        figures: list[Figure] = []
        latest = self._reads.latest(proj.id) if runs else {}
        logged = {k for m in latest.values() for k in m}
        keys = headline_keys(set(scalar_metrics(dict.fromkeys(logged, 0.0))), 1)
        events = self._timeline(proj)
        if keys and sum(1 for m in latest.values() if keys[0] in m) >= TREND_MIN_RUNS:
            trend = plot_data.build_trend(keys[0], runs, latest, events)
            figures.append(
                Figure(
                    f"{keys[0]} of each run over time; model versions and deployments marked",
                    kind="trend",
                    data=trend,
                )
            )
        diag, diag_run = self._diagnostics(run, runs)
        rid = diag_run.number or diag_run.id
        if diag.confusion is not None:
            figures.append(
                Figure(
                    f"Confusion matrix of run #{rid} (test part)",
                    kind="confusion_matrix",
                    data=diag,
                )
            )
        if diag.roc:
            figures.append(Figure(f"ROC curve of run #{rid}", kind="roc", data=diag))
        if diag.pr:
            figures.append(Figure(f"Precision-recall curve of run #{rid}", kind="pr", data=diag))
        if diag.residuals is not None:
            figures.append(Figure(f"Residuals of run #{rid}", kind="residuals", data=diag))
        if diag.importance_names:
            figures.append(
                Figure(f"Permutation feature importance, run #{rid}", kind="importance", data=diag)
            )
        tuning = self._tuning(run)
        if tuning is not None:
            figures.append(
                Figure(f"Hyperparameter search of run {run.label}", kind="tuning", data=tuning)
            )
        drift = plot_data.build_drift(runs, latest, self._drift_threshold(run), events=events)
        if drift.features:
            figures.append(
                Figure(
                    f"Drift ({drift.statistic.upper()}) per feature over time; alert threshold {drift.threshold:g}",
                    kind="drift",
                    data=drift,
                )
            )
        if not figures:
            data.omit("Plots", "the runs have logged no metrics to plot")
        data.plots = figures

    def _tuning(self, run: Run) -> Any:
        try:
            from mlops_desktop.app.plot_diagnostics import tuning
        except ImportError:
            return None
        result = tuning(self.workspace, run.id)
        return result if result.scores.size else None

    def _diagnostics(self, run: Run, runs: list[Run]) -> tuple[Any, Run]:
        """Diagnostics of ``run``, or of the newest earlier run that logged some (a run
        served wholly from cache logs none)."""
        from mlops_desktop.app.plot_diagnostics import diagnostics

        diag = diagnostics(self.workspace, run.id)
        if _drawable(diag):
            return diag, run
        older = [r for r in runs if (r.created_at, r.id) < (run.created_at, run.id)]
        for other in older[:DIAGNOSTICS_LOOKBACK]:
            found = diagnostics(self.workspace, other.id)
            if _drawable(found):
                return found, other
        return diag, run

    def _drift_threshold(self, run: Run) -> float:
        from mlops_desktop.app.plot_data import drift_threshold

        return drift_threshold(self.workspace, run)

    def _timeline(self, proj: Project) -> list[Any]:
        """Model versions and deployments to mark on time axes (none without a registry)."""
        from mlops_desktop.app import plot_data

        timeline = getattr(plot_data, "timeline_events", None)
        return list(timeline(self.workspace, proj.id)) if timeline is not None else []

    def _registry_service(self) -> Any:
        """The model registry service, or None when this installation has none."""
        try:
            from mlops_desktop.app.registry import RegistryService
        except ImportError:
            return None
        return RegistryService(self.workspace)

    def _deployments(self, proj: Project) -> list[Any]:
        registry = self._registry_service()
        return list(registry.deployments(proj.id)) if registry is not None else []

    def _add_registry(self, data: ReportData, proj: Project) -> None:
        registry = self._registry_service()
        if registry is None:
            data.omit("Model registry", "not available in this installation")
            return
        section = RegistrySection()
        numbers = self.workspace.runs.numbers(proj.id)
        for model in registry.list_models(proj.id):
            for v in registry.versions(proj.id, model.name):
                stage = ", ".join(v.aliases)
                if v.approval:
                    stage = f"{stage}, {v.approval}" if stage else v.approval
                section.versions.append(
                    ModelVersionRow(
                        model=v.model_name,
                        version=v.version,
                        stage=stage,
                        run_number=numbers.get(v.run_id) if v.run_id else None,
                        created_at=v.created_at,
                        metrics=scalar_metrics(v.metrics),
                        description=model.description,
                    )
                )
        for t in registry.history(proj.id):
            section.transitions.append(
                TransitionRow(
                    when=t.created_at,
                    model=t.model_name,
                    version=t.to_version,
                    from_stage=f"v{t.from_version}" if t.from_version is not None else "",
                    to_stage=f"{t.alias}"
                    + (f" = v{t.to_version}" if t.to_version is not None else " removed"),
                    actor=t.actor,
                    reason=t.reason,
                )
            )
        section.transitions.reverse()  # newest first, like the other tables
        for d in self._deployments(proj):
            strategy = d.strategy
            if d.strategy == "canary" and d.traffic_share:
                strategy = f"canary {d.traffic_share:.0%}"
            section.deployments.append(
                DeploymentRow(
                    when=d.created_at,
                    model=d.model_name,
                    version=d.version,
                    environment=d.environment,
                    strategy=strategy,
                    actor=d.approver,
                    status=d.status,
                    note=f"replaced v{d.previous_version}" if d.previous_version else "",
                )
            )
        if section.empty:
            data.omit("Model registry", "no model has been registered yet")
            return
        data.registry = section
        self._registry_facts(data, section)

    def _add_automation(self, data: ReportData, proj: Project) -> None:
        """The project's triggers and its latest firings (read only: nothing is synced)."""
        from mlops_desktop.app.trigger_text import describe_trigger, outcome_text, type_title

        store = self.workspace.triggers
        names = {p.id: p.name for p in self.workspace.pipelines.list(proj.id)}
        section = AutomationSection()
        for trig in store.list(proj.id):
            section.triggers.append(
                TriggerRow(
                    pipeline=trig.pipeline_name,
                    kind=type_title(trig.type),
                    fires_on=describe_trigger(trig),
                    enabled=trig.enabled,
                )
            )
        events = store.events(proj.id, None, None)
        numbers = self.workspace.runs.numbers(proj.id)
        section.total_firings = len(events)
        for event in events[:MAX_FIRINGS]:
            section.firings.append(
                FiringRow(
                    when=event.fired_at,
                    pipeline=names.get(event.pipeline_id, ""),
                    kind=type_title(event.type),
                    outcome=outcome_text(event),
                    run_number=numbers.get(event.run_id) if event.run_id else None,
                )
            )
        if section.empty:
            data.omit("Triggers", "the pipelines run by hand only")
            return
        data.automation = section

    def _add_loop(self, data: ReportData, proj: Project) -> None:
        """The loop's story: gates against the champion, alerts, retraining, canaries."""
        from mlops_desktop.app.report_loop import loop_section

        data.loop = loop_section(self.workspace, proj.id, self._registry_service(), self._reads)

    @staticmethod
    def _registry_facts(data: ReportData, section: RegistrySection) -> None:
        """One line each for the summary: the newest model versions and what serves now."""
        newest: dict[str, ModelVersionRow] = {}
        for v in section.versions:
            if v.model not in newest or v.version > newest[v.model].version:
                newest[v.model] = v
        if newest:
            data.project.facts.append(
                (
                    "Models",
                    "; ".join(
                        f"{v.model} v{v.version}" + (f" ({v.stage})" if v.stage else "")
                        for v in newest.values()
                    ),
                )
            )
        active = [d for d in section.deployments if d.status == "active"]
        if active:
            data.project.facts.append(
                (
                    "Serving now",
                    "; ".join(
                        f"{d.model} v{d.version} in {d.environment}"
                        + (f" ({d.strategy})" if d.strategy and d.strategy != "direct" else "")
                        for d in active
                    ),
                )
            )

    def _add_maturity(self, data: ReportData, proj: Project) -> None:
        from mlops_desktop.reports.maturity import from_service, maturity_section

        service = self._assessment
        if service is None:
            try:
                from mlops_desktop.app.assessment import AssessmentService
            except ImportError:
                data.omit("Maturity assessment", "not available in this installation")
                return
            service = AssessmentService(self.workspace, self.registry, reads=self._reads)
        assessment = from_service(service, proj.name)
        if assessment is None:
            data.omit("Maturity assessment", "the project has not been assessed yet")
            return
        data.maturity = maturity_section(assessment)
