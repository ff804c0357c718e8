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


def test_prewarm_imports_in_slices_handing_the_lock_over_often(tmp_path, monkeypatch):
    """While the prewarm imports, the interpreter switches threads every millisecond (the
    GUI thread gets the lock back quickly); afterwards the setting is what it was."""
    from mlops_desktop.app import prewarm as module

    (tmp_path / "prewarm_probe_a.py").write_text("import sys\nSEEN = sys.getswitchinterval()\n")
    (tmp_path / "prewarm_probe_b.py").write_text("import sys\nSEEN = sys.getswitchinterval()\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    before = sys.getswitchinterval()
    done = module.prewarm(("prewarm_probe_a", "no_such_module_for_prewarm", "prewarm_probe_b"))
    assert done == ["prewarm_probe_a", "prewarm_probe_b"]
    assert sys.modules["prewarm_probe_a"].SEEN == module.SWITCH_INTERVAL_S
    assert sys.modules["prewarm_probe_b"].SEEN == module.SWITCH_INTERVAL_S
    assert sys.getswitchinterval() == before


def test_two_prewarms_at_once_give_back_the_switch_interval_they_found(tmp_path, monkeypatch):
    """The app's prewarm and a Run pressed before it ended may import at the same time: the
    short switch interval lasts while either imports, and the one from before comes back
    after the last (not the short one the second found when it began)."""
    import threading
    import time

    from mlops_desktop.app import prewarm as module

    monkeypatch.setattr(module, "PAUSE_S", 0.0)
    gates = {name: threading.Event() for name in ("first", "second")}
    gate_module = type(sys)("prewarm_gates")
    gate_module.GATES = gates  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "prewarm_gates", gate_module)
    for name in gates:
        (tmp_path / f"prewarm_probe_{name}.py").write_text(
            f"from prewarm_gates import GATES\nGATES[{name!r}].wait(10)\n"
        )
    monkeypatch.syspath_prepend(str(tmp_path))
    before = sys.getswitchinterval()

    def start(name: str) -> threading.Thread:
        thread = threading.Thread(target=module.prewarm, args=((f"prewarm_probe_{name}",),))
        thread.start()
        deadline = time.monotonic() + 10
        while f"prewarm_probe_{name}" not in sys.modules and time.monotonic() < deadline:
            time.sleep(0.01)  # importing: waiting at its gate
        return thread

    first = start("first")
    second = start("second")  # began while the first imports
    try:
        gates["first"].set()
        first.join(10)
        assert sys.getswitchinterval() == module.SWITCH_INTERVAL_S  # the second still imports
    finally:
        for gate in gates.values():
            gate.set()
        second.join(10)
    assert sys.getswitchinterval() == before
