"""The idle-time prewarm imports the first run's libraries, and can be turned off."""

from __future__ import annotations

import subprocess
import sys

from mlops_desktop.app.prewarm import DISABLE_ENV, RUN_MODULES, start_prewarm

CHECK = """
import sys
from mlops_desktop.app.prewarm import start_prewarm
assert "sklearn" not in sys.modules
thread = start_prewarm()
if thread is None:
    print("disabled", "sklearn" in sys.modules)
else:
    thread.join(120)
    print("imported", all(m in sys.modules for m in sys.argv[1].split(",")))
"""


def _child(env_extra: dict[str, str]) -> str:
    import os

    env = {k: v for k, v in os.environ.items() if k != DISABLE_ENV}
    env.update(env_extra)
    out = subprocess.run(
        [sys.executable, "-c", CHECK, ",".join(RUN_MODULES)],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
        check=True,
    )
    return out.stdout.strip()


def test_prewarm_imports_every_run_module_on_a_daemon_thread():
    assert _child({}) == "imported True"


def test_prewarm_can_be_disabled():
    assert _child({DISABLE_ENV: "1"}) == "disabled False"


def test_a_module_that_fails_to_import_is_skipped(monkeypatch):
    monkeypatch.delenv(DISABLE_ENV, raising=False)
    thread = start_prewarm(("json", "no_such_module_for_prewarm"))
    assert thread is not None and thread.daemon
    thread.join(10)
    assert not thread.is_alive()
