"""Run every benchmark in bench/ and print one table.

Each ``bench/bench_<topic>.py`` exposes ``run() -> list[dict]`` with rows of
``{"benchmark", "metric", "value", "unit", "note"}``. Usage::

    python -m bench                 # all benchmarks
    python -m bench canvas metrics  # only bench_canvas.py and bench_metrics.py
    python -m bench --json out.json # also write the rows as JSON
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import platform
import sys
import time
import traceback
from pathlib import Path


def discover() -> list[str]:
    here = Path(__file__).parent
    return sorted(
        m.name[len("bench_") :]
        for m in pkgutil.iter_modules([str(here)])
        if m.name.startswith("bench_")
    )


def format_value(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "topics", nargs="*", help=f"benchmarks to run (default all: {', '.join(discover())})"
    )
    parser.add_argument("--json", metavar="FILE", help="write the rows as JSON")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    topics = args.topics or discover()
    rows: list[dict] = []
    failed = 0
    for topic in topics:
        start = time.perf_counter()
        try:
            module = importlib.import_module(f"bench.bench_{topic}")
            got = module.run()
        except Exception:  # noqa: BLE001 - report and go on with the others
            failed += 1
            traceback.print_exc()
            got = [
                {
                    "benchmark": topic,
                    "metric": "error",
                    "value": "failed",
                    "unit": "",
                    "note": "see traceback",
                }
            ]
        rows.extend(got)
        print(f"[{topic}] done in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    headers = ["benchmark", "metric", "value", "unit", "note"]
    table = [[format_value(r.get(h, "")) for h in headers] for r in rows]
    widths = [
        max(len(h), *(len(t[i]) for t in table)) if table else len(h) for i, h in enumerate(headers)
    ]
    print(
        f"MLOps Desktop benchmarks — {platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for t in table:
        print("  ".join(c.ljust(w) for c, w in zip(t, widths, strict=True)).rstrip())
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2, default=str))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
