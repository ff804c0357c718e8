"""Start-up time: process start to main window shown, beside a bare PySide6 window.

Each measurement is a fresh ``python`` process (offscreen Qt) started with
``MLOPS_DESKTOP_EXIT_AFTER_SHOW=1``: the app prints ``time.time()`` when the window was shown
and when the workspace (opened just after showing) was ready, then quits. The bare window
prints the same stamp. Figures are medians of 5 runs, from just before the process was
spawned; the goal is under 0.6 s to the window shown.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 5
GOAL_S = 0.6

BARE = """
import time
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication([])
w = QMainWindow()
w.resize(1200, 800)
w.show()
print(f"shown={time.time():.6f}", flush=True)
"""

APP = "import sys; from mlops_desktop.cli import main; sys.exit(main(sys.argv[1:]))"
# The GUI entry alone, without building the command-line parser (which imports every
# sub-command module): shows what the CLI adds before the window can appear.
GUI_ONLY = (
    "import sys; from mlops_desktop.qt.application import run_gui; sys.exit(run_gui(sys.argv[2]))"
)


def _env(config_dir: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        QT_QPA_PLATFORM="offscreen",
        MLOPS_DESKTOP_EXIT_AFTER_SHOW="1",
        MLOPS_DESKTOP_NO_SAMPLE="1",
        XDG_CONFIG_HOME=config_dir,  # fresh QSettings: no restored tabs or layout
    )
    return env


def _measure(code: str, args: list[str], env: dict[str, str]) -> dict[str, float]:
    start = time.time()
    done = subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=60
    )
    if done.returncode != 0:
        raise RuntimeError(f"start-up run failed: {done.stderr.strip()[-500:]}")
    stamps = {}
    for line in done.stdout.splitlines():
        for part in line.split():
            if "=" in part:
                key, value = part.split("=", 1)
                stamps[key] = float(value) - start
    return stamps


def run() -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        env = _env(str(Path(tmp) / "config"))
        workspace = str(Path(tmp) / "workspace.db")
        # A first run creates and migrates the workspace; the measured runs reopen it.
        _measure(APP, ["--workspace", workspace], env)
        bare, shown, ready, gui_only = [], [], [], []
        for _ in range(RUNS):
            bare.append(_measure(BARE, [], env)["shown"])
            stamps = _measure(APP, ["--workspace", workspace], env)
            shown.append(stamps["shown"])
            ready.append(stamps["ready"])
            gui_only.append(_measure(GUI_ONLY, ["--workspace", workspace], env)["shown"])
    med_bare, med_shown = statistics.median(bare), statistics.median(shown)
    return [
        {
            "benchmark": "startup",
            "metric": "bare PySide6 window shown",
            "value": round(med_bare, 3),
            "unit": "s",
            "note": f"median of {RUNS} processes",
        },
        {
            "benchmark": "startup",
            "metric": "MLOps Desktop main window shown",
            "value": round(med_shown, 3),
            "unit": "s",
            "note": f"goal < {GOAL_S} s; {med_shown / med_bare:.1f}x the bare window",
        },
        {
            "benchmark": "startup",
            "metric": "main window shown, GUI entry without the CLI parser",
            "value": round(statistics.median(gui_only), 3),
            "unit": "s",
            "note": "run_gui() called directly: the difference is the CLI's sub-command imports",
        },
        {
            "benchmark": "startup",
            "metric": "workspace opened, projects listed",
            "value": round(statistics.median(ready), 3),
            "unit": "s",
            "note": "existing SQLite workspace, opened right after the window is shown",
        },
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
