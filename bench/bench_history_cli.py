"""The command-line paths over a long history, this code against a peer copy, in one run.

Builds (or reuses) the 1k / 10k-run workspaces of :mod:`bench.bench_history` through the
app's services and times, in fresh processes, ``assess``, ``report`` (HTML), ``runs --json``
of every run and its peer ``runs --limit 1``, as the child's CPU seconds (user + system: on a shared
2-core machine wall time mostly measures the neighbours; these commands compute on one
thread, so on an idle machine their wall time is close to their CPU time plus file reads). With ``--peer DIR`` (a folder holding another
copy of the ``mlops_desktop`` package, e.g. ``git archive HEAD~3 mlops_desktop | tar -x -C
DIR``) each command is timed for both copies alternately, so both see the same machine load,
and the outputs are compared (the numbers the app prints must not change). The peer measures
on a workspace of the same runs built by its own code: an older copy opens no newer schema.

    python -m bench.bench_history_cli [--sizes 1000,10000] [--peer DIR] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

from bench.bench_history import PROJECT, build, build_with

COMMANDS = {
    "assess": ["assess", PROJECT, "--no-save", "--format", "json"],
    "report_html": ["report", PROJECT, "-o", "{out}/r-{tag}.html", "--quiet"],
    "runs_json": ["runs", PROJECT, "--json", "--limit", "1000000"],
    "runs_limit1": ["runs", PROJECT, "--limit", "1"],
}


def _run(code: str, path: Path, args: list[str], work: Path, tag: str) -> tuple[float, str]:
    env = dict(os.environ)
    if code:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (code, env.get("PYTHONPATH")) if p)
    args = [a.format(out=work, tag=tag) for a in args]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        [sys.executable, "-m", "mlops_desktop", "--workspace", str(path), *args],
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
        cwd=work,  # not the source folder: PYTHONPATH decides which package runs
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # CPU seconds of the child (user + system): steadier than wall time on a shared machine
    took = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode not in (0, 1):
        raise RuntimeError(f"{args}: {done.stderr[-2000:]}")
    return took, done.stdout


STAMPS = frozenset({"time", "generated_at", "at", "observed_at"})  # when, not what


def _comparable(name: str, out: str) -> str:
    """The output without what changes from one call or build to the next (the times the
    assessment and its evidence carry) or from one encoder to another (spacing, key order)."""
    if name not in ("assess", "runs_json"):
        return out
    import json

    def unstamped(data: object) -> object:
        if isinstance(data, dict):
            return {k: unstamped(v) for k, v in data.items() if k not in STAMPS}
        if isinstance(data, list):
            return [unstamped(v) for v in data]
        return data

    return json.dumps(unstamped(json.loads(out)), sort_keys=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--dir", default="/tmp/bench_history")
    parser.add_argument("--peer", default="", help="folder with the peer copy of the package")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", default="", help="comma-separated commands to time")
    args = parser.parse_args()
    work = Path(args.dir)
    work.mkdir(parents=True, exist_ok=True)
    wanted = [c for c in COMMANDS if not args.only or c in args.only.split(",")]
    copies = {"this": ""} | ({"peer": args.peer} if args.peer else {})
    print("| size | command | " + " | ".join(f"{c} (median CPU s)" for c in copies) + " |")
    print("|---|---|" + "---|" * len(copies))
    for n in (int(s) for s in args.sizes.split(",") if s):
        built = {"this": work / f"history-{n}.db"}
        build(built["this"], n)
        if args.peer:
            built["peer"] = work / f"history-{n}-peer.db"
            build_with(args.peer, built["peer"], n)
        for name in wanted:
            times: dict[str, list[float]] = {c: [] for c in copies}
            outs: dict[str, str] = {}
            for i in range(args.repeat):
                for copy, code in copies.items():
                    path = work / f"cli-{copy}-{n}.db"  # each copy migrates its own file
                    if i == 0:
                        shutil.copyfile(built[copy], path)
                    took, out = _run(code, path, COMMANDS[name], work, copy)
                    times[copy].append(took)
                    outs[copy] = _comparable(name, out)
            cells = " | ".join(f"{statistics.median(t):.2f}" for t in times.values())
            same = "" if len(set(outs.values())) == 1 else " (outputs differ)"
            print(f"| {n:,} | {name}{same} | {cells} |", flush=True)


if __name__ == "__main__":
    main()
