"""``assess``, ``evidence`` and ``answer``: the maturity assessment from the command line.

- ``assess PROJECT [--model aws|google|azure|mlts|all] [--json] [--questions] [--no-save] [--history]``:
  the level in each model with its reasons, the gap to the next level, stored for history;
  ``assess --repo PATH`` judges a repository alone (or, with PROJECT, scans PATH for it);
  ``--fail-below google=1,aws=repeatable,mlts=3`` exits with status 3 and lists the missing
  criteria when below the bar; ``--format junit [--output FILE]`` writes the criteria as JUnit;
- ``evidence executions PROJECT FILE --pipeline NAME``: record what an imported cloud
  pipeline's executions did (see :mod:`mlops_desktop.app.cloud_runs`).
- ``evidence import PROJECT FILE.xml [--kind unit|integration|load] [--commit SHA]``: import
  a JUnit report from CI; ``evidence repo PROJECT PATH``: attach a git repository and list
  what its files show (CI, tests, containers, infrastructure, ML library calls);
- ``answer PROJECT QUESTION_ID yes|no|partial [--doc URL]``: answer a questionnaire item.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from mlops_desktop.cli._common import json_bytes, open_workspace, print_json, print_table
from mlops_desktop.core.vendors import catalogue

MODELS = (*catalogue().model_ids(), "mlts", "all")
BELOW_BAR = 3  # exit status when --fail-below is not met (1 stays "error")
STATUS = {
    "met": "met",
    "not_met": "NOT MET",
    "unknown": "unknown",
    "suggested": "suggested?",
    "info": "info",
}

# a − criterion describes the immature state: "met" means it no longer holds
STATUS_NEGATIVE = {
    "met": "cleared",
    "not_met": "STILL TRUE",
    "unknown": "unknown",
    "suggested": "cleared?",
}


def status_label(result: Any) -> str:
    table = STATUS_NEGATIVE if result.criterion.polarity == "-" else STATUS
    return table.get(result.status, result.status)


def register(sub: Any) -> None:
    p = sub.add_parser(
        "assess",
        help="MLOps maturity of a project in the AWS, Google and Azure models",
        description="Judge a project's MLOps maturity from its pipelines, runs, registry, "
        "deployments, monitoring, CI results and answers.",
    )
    p.add_argument("project", metavar="PROJECT", nargs="?", default=None)
    p.add_argument(
        "--model", choices=MODELS, default="all", help="which model to show (default: all)"
    )
    p.add_argument("--json", action="store_true", help="print the whole assessment as JSON")
    p.add_argument(
        "--repo",
        metavar="PATH",
        default=None,
        help="scan this repository (alone, or for PROJECT instead of the attached one)",
    )
    p.add_argument(
        "--fail-below",
        metavar="BAR",
        default=None,
        help="e.g. google=1,azure=2,aws=repeatable,mlts=3: exit with status 3 when below",
    )
    p.add_argument(
        "--format", choices=("text", "json", "junit"), default=None, help="output format"
    )
    p.add_argument("--output", metavar="FILE", default=None, help="write the report to FILE")
    p.add_argument(
        "--questions", action="store_true", help="list the questionnaire with current answers"
    )
    p.add_argument(
        "--no-save", action="store_true", help="do not store this assessment in the history"
    )
    p.add_argument(
        "--history",
        action="store_true",
        help="list the stored assessments instead (maturity over time)",
    )
    p.set_defaults(handler=cmd_assess, collect=False)  # reads, prints and ends

    e = sub.add_parser(
        "evidence", help="attach evidence the app cannot see: CI test reports, a git repository"
    )
    esub = e.add_subparsers(dest="evidence_command", metavar="WHAT")
    imp = esub.add_parser("import", help="import a JUnit XML test report from CI")
    imp.add_argument("project", metavar="PROJECT")
    imp.add_argument("file", metavar="FILE.xml")
    imp.add_argument(
        "--kind",
        choices=("unit", "integration", "load"),
        default=None,
        help="the kind of tests (default: guessed from the suite names)",
    )
    imp.add_argument(
        "--commit", default="", help="the commit the tests ran on (default: from the report)"
    )
    imp.set_defaults(handler=cmd_evidence_import)
    repo = esub.add_parser(
        "repo", help="attach the project's git repository (its commit is recorded on runs)"
    )
    repo.add_argument("project", metavar="PROJECT")
    repo.add_argument("path", metavar="PATH")
    repo.set_defaults(handler=cmd_evidence_repo)
    exe = esub.add_parser(
        "executions",
        help="record executions of an imported cloud pipeline (SageMaker step lists, Vertex "
        "AI pipeline jobs, Azure ML jobs) as its runs",
    )
    exe.add_argument("project", metavar="PROJECT")
    exe.add_argument(
        "file",
        metavar="FILE",
        help="'aws sagemaker list-pipeline-execution-steps' output (optionally merged with "
        "describe-pipeline-execution), a Vertex AI PipelineJob (a list for several), or the "
        "Azure ML jobs 'az ml job show' and 'az ml job list --parent-job-name' print (one list)",
    )
    exe.add_argument("--pipeline", required=True, help="the imported pipeline they ran")
    exe.set_defaults(handler=cmd_evidence_executions)

    a = sub.add_parser("answer", help="answer a maturity questionnaire item")
    a.add_argument("project", metavar="PROJECT")
    a.add_argument(
        "question", metavar="QUESTION_ID", help="e.g. q.code_review (see assess --questions)"
    )
    a.add_argument("value", choices=("yes", "no", "partial"))
    a.add_argument("--doc", default="", metavar="URL", help="a link to the document that shows it")
    a.set_defaults(handler=cmd_answer)


def cmd_assess(args: argparse.Namespace) -> int:
    from mlops_desktop.app.assessment import AssessmentService
    from mlops_desktop.core.errors import MlopsError

    if args.history:
        return _history(args)
    fmt = args.format or ("json" if args.json else "text")
    questions: list[Any] = []
    if args.project is None:
        if args.repo is None:
            raise MlopsError("name a PROJECT, or a repository with --repo PATH")
        from mlops_desktop.app.repo_scan import repo_facts
        from mlops_desktop.core.maturity.gaps import gaps
        from mlops_desktop.core.maturity.scoring import assess

        result = assess(repo_facts(args.repo))
        reports = gaps(result)
    else:
        with open_workspace(args) as ws:
            svc = AssessmentService(ws)
            result = svc.assess(args.project, save=not args.no_save, repo=args.repo)
            reports = svc.gaps(result)
            questions = svc.questionnaire(args.project, result) if args.questions else []
    shortfalls, bar = _check_bar(args, result)
    if fmt == "junit":
        from mlops_desktop.core.maturity.gate import junit_report

        _emit(args, junit_report(result, bar))
    elif fmt == "json":
        _emit(args, _json_text(args, result, reports, questions, shortfalls))
    else:
        _print_text(args, result, reports, questions)
    if shortfalls:
        for s in shortfalls:
            for line in s.lines():
                print(line, file=sys.stderr)
        print("below the maturity bar " + args.fail_below, file=sys.stderr)
        return BELOW_BAR
    return 0


def _check_bar(args: argparse.Namespace, result: Any) -> tuple[list[Any], dict[str, float]]:
    if not args.fail_below:
        return [], {}
    from mlops_desktop.core.maturity.gate import check_bar, parse_bar

    bar = parse_bar(args.fail_below, result)
    return check_bar(result, bar), bar


def _emit(args: argparse.Namespace, text: str) -> None:
    if args.output:
        from pathlib import Path

        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


def _wanted(args: argparse.Namespace) -> tuple[str, ...]:
    """The model ids to show: every model for ``all``."""
    return MODELS[:-1] if args.model == "all" else (args.model,)


def _json_text(
    args: argparse.Namespace,
    result: Any,
    reports: dict[str, Any],
    questions: list[Any],
    shortfalls: list[Any],
) -> str:
    wanted = _wanted(args)
    data = result.to_dict()
    data["models"] = {k: v for k, v in data["models"].items() if k in wanted}
    if "mlts" not in wanted:
        data.pop("mlts")
    data["gaps"] = {
        k: v.to_dict() for k, v in reports.items() if k in wanted or args.model == "all"
    }
    if args.questions:
        data["questions"] = [_question_dict(q) for q in questions]
    if args.fail_below:
        data["bar"] = {
            "spec": args.fail_below,
            "passed": not shortfalls,
            "below": [
                {
                    "model": s.model,
                    "level": s.have,
                    "bar": s.want,
                    "missing": [r.criterion.key for r in s.missing],
                }
                for s in shortfalls
            ],
        }
    return json_bytes(data).decode() + "\n"


def _print_text(
    args: argparse.Namespace, result: Any, reports: dict[str, Any], questions: list[Any]
) -> None:
    wanted = _wanted(args)
    print(
        f"Project '{result.project}' at {result.time:%Y-%m-%d %H:%M} UTC "
        f"({', '.join(f'{v} {k}' for k, v in result.facts_summary.items() if k != 'repo')})"
    )
    for model_id in wanted:
        print()
        if model_id == "mlts":
            _print_mlts(result)
        else:
            _print_model(result.models[model_id])
        _print_gaps(reports[model_id])
    if args.model == "all":
        print(f"\nCrosswalk: normalized level {result.crosswalk.level} of 4")
        for reason in result.crosswalk.reasons:
            print(f"  - {reason}")
    if args.questions:
        print()
        print_table(
            ("question", "answer", "group", "text"),
            [
                (q.id, q.answer.value if q.answer else "-", q.group, q.question[:70])
                for q in questions
            ],
        )


def _history(args: argparse.Namespace) -> int:
    from mlops_desktop.app.assessment import AssessmentService

    model = None if args.model == "all" else args.model
    with open_workspace(args) as ws:
        records = AssessmentService(ws).history(args.project, model)
    if args.json:
        print_json(
            [
                {"time": r.created_at, "model": r.model, "level": r.level, "normalized": r.score}
                for r in records
            ]
        )
        return 0
    if not records:
        print(f"project '{args.project}' has not been assessed yet")
        return 0
    print_table(
        ("time (UTC)", "model", "level", "normalized"),
        [
            (f"{r.created_at:%Y-%m-%d %H:%M:%S}", r.model, f"{r.level:g}", f"{r.score:g}")
            for r in records
        ],
    )
    return 0


def _question_dict(q: Any) -> dict[str, Any]:
    return {
        "id": q.id,
        "question": q.question,
        "group": q.group,
        "help": q.help,
        "suggested": q.suggested,
        "answer": None
        if q.answer is None
        else {
            "value": q.answer.value,
            "document": q.answer.document,
            "answered_at": q.answer.answered_at,
        },
    }


def _print_model(score: Any) -> None:
    print(f"{score.model.title}: {score.level_name} (normalized {score.normalized} of 4)")
    print(f"  source: {score.model.source}")
    for reason in score.reasons:
        print(f"  - {reason}")
    rows = [
        (r.criterion.key, r.criterion.level, r.criterion.polarity, status_label(r), _shown(r)[:70])
        for r in score.results
        if r.status != "info"
    ]
    print_table(("criterion", "lvl", "pol", "status", "evidence / missing"), rows)


def _shown(r: Any) -> str:
    if r.criterion.polarity == "-" and r.status == "not_met":
        return "; ".join(r.missing)
    if r.status in ("met", "suggested") and r.evidence:
        return r.evidence[0].label
    return "; ".join(r.missing)


def _print_mlts(result: Any) -> None:
    m = result.mlts
    print(f"ML Test Score: {m.final:g} ({m.band.id}: {m.band.meaning})")
    for reason in m.reasons:
        print(f"  - {reason}")
    print_table(
        ("test", "points", "how", "why"),
        [(t.test.id, f"{t.points:g}", t.mode, t.reason[:80]) for t in m.tests],
    )


def _print_gaps(report: Any) -> None:
    if not report.items:
        print(f"  Gap: nothing missing ({report.target_name})")
        return
    print(f"  Gap to {report.target_name}:")
    for g in report.items:
        fix = f" [pipeline fix: {g.fix}]" if g.fix else ""
        print(f"  * {g.key} ({g.kind}): {g.action}{fix}")
        if g.repo_change:
            print(f"      {g.repo_change}")


def cmd_evidence_import(args: argparse.Namespace) -> int:
    from mlops_desktop.app.assessment import AssessmentService

    with open_workspace(args) as ws:
        suites = AssessmentService(ws).import_junit(args.project, args.file, args.kind, args.commit)
    print_table(
        ("suite", "kind", "tests", "failed", "skipped", "time s", "commit"),
        [
            (
                s.suite,
                s.kind,
                s.tests,
                s.failures + s.errors,
                s.skipped,
                f"{s.time_s:.2f}",
                s.commit or "-",
            )
            for s in suites
        ],
    )
    print(f"imported {len(suites)} suite(s) into project '{args.project}'")
    return 0


def cmd_evidence_repo(args: argparse.Namespace) -> int:
    from mlops_desktop.app.assessment import AssessmentService

    with open_workspace(args) as ws:
        svc = AssessmentService(ws)
        commit = svc.attach_repo(args.project, args.path)
        path = svc.repo(args.project)
        scan = svc.scan_repo(args.project)
    print(f"attached {path} to project '{args.project}' (HEAD {commit or 'has no commit yet'})")
    if scan is not None:
        print_scan(scan)
    return 0


def cmd_evidence_executions(args: argparse.Namespace) -> int:
    from mlops_desktop.app.cloud_runs import CloudRunService

    with open_workspace(args) as ws:
        result = CloudRunService(ws).import_file(args.project, args.pipeline, args.file)
    print(result.summary())
    return 0


def print_scan(scan: Any) -> None:
    """What a repository scan found, file and line for each finding."""
    print(f"scanned {scan.files} files" + (" (stopped at the limit)" if scan.truncated else ""))
    if scan.findings:
        print_table(
            ("finding", "where", "what"),
            [(f.kind, f.where, f.detail[:70]) for f in scan.findings[:200]],
        )
        if len(scan.findings) > 200:
            print(f"... and {len(scan.findings) - 200} more (assess --json lists them all)")
    else:
        print("no CI, tests, containers, infrastructure or ML library calls found")
    for line in scan.skipped[:20]:
        print(f"not read: {line}")


def cmd_answer(args: argparse.Namespace) -> int:
    from mlops_desktop.app.assessment import AssessmentService

    with open_workspace(args) as ws:
        answer = AssessmentService(ws).answer(args.project, args.question, args.value, args.doc)
    doc = f" ({answer.document})" if answer.document else ""
    print(
        f"{answer.question_id}: {answer.value}{doc}, recorded at {answer.answered_at:%Y-%m-%d %H:%M} UTC"
    )
    return 0
