"""Import, while the app sits idle after start-up, the libraries the first run will need.

scikit-learn and skops take one to two seconds to import, and parts of that hold the
interpreter lock long enough to stall the GUI thread for 100-250 ms. Importing them from a
background thread shortly after the window is shown moves that cost to a moment when the
user is still looking around, instead of the middle of their first run. Qt-free (the GUI
adds its own modules to the list).

The import runs in small slices: one module at a time with a pause between two, and while
it runs the interpreter hands the lock between threads every millisecond instead of every
five, so the GUI thread, which needs the lock for every event it handles in Python, gets it
back quickly from an import executing Python code.
"""

from __future__ import annotations

import gc
import importlib
import logging
import os
import sys
import threading
import time

log = logging.getLogger(__name__)

#: What the built-in stages and the artifact store import on a first run, in that order.
RUN_MODULES = (
    "numpy",
    "pandas",
    "pyarrow.parquet",
    "pyarrow.pandas_compat",
    "sklearn",
    "sklearn.datasets",
    "sklearn.model_selection",
    "sklearn.compose",
    "sklearn.feature_selection",
    "sklearn.ensemble",
    "sklearn.linear_model",
    "sklearn.metrics",
    "skops.io",
    "narwhals.stable.v2",  # scikit-learn's dataframe interchange, first used by a fit
    "networkx",  # the scheduler's graph of the run
    # The engine and the stages themselves, and what starting a run reads.
    "mlops_desktop.app.data_checks",
    "mlops_desktop.core.trigger_settings",
    "mlops_desktop.storage.reserve",
    "mlops_desktop.engine.scheduler",
    "mlops_desktop.stages.custom",
    "mlops_desktop.stages.data",
    "mlops_desktop.stages.model",
    "mlops_desktop.stages.operate",
    # Qt-free app code the window loads when the first run finishes.
    "mlops_desktop.app.assessment",
    "mlops_desktop.app.plot_data",
)
DISABLE_ENV = "MLOPS_DESKTOP_NO_PREWARM"
PAUSE_S = 0.02  # between two modules: the GUI thread catches up with its events
SWITCH_INTERVAL_S = 0.001  # while importing: how long the GUI thread waits for the lock


def prewarm(modules: tuple[str, ...] = RUN_MODULES, pause_s: float = PAUSE_S) -> list[str]:
    """Import ``modules`` one by one, ``pause_s`` apart (skipping any that fail); returns
    the ones now imported. What each import made is left out of later garbage collections
    (:func:`gc.freeze`, which costs nothing): a module lives as long as the process, and a
    full collection over the objects of these imports held the interpreter for 50-80 ms,
    in whichever thread it fell (the window's, in the app)."""
    done = []
    _short_switches(True)
    try:
        for name in modules:
            try:
                importlib.import_module(name)
            except Exception as exc:  # noqa: BLE001 - an optional speed-up never fails the app
                log.debug("prewarm: cannot import %s: %s", name, exc)
                continue
            gc.freeze()
            done.append(name)
            time.sleep(pause_s)
    finally:
        _short_switches(False)
    return done


_switches_lock = threading.Lock()
_switches = {"imports": 0, "before": 0.0}  # prewarms importing now; the interval before


def _short_switches(start: bool) -> None:
    """Hand the interpreter between threads every :data:`SWITCH_INTERVAL_S` while any
    prewarm imports (two may overlap: the app's at idle and a Run pressed before it ended);
    the interval before comes back when the last ends."""
    with _switches_lock:
        if start:
            if _switches["imports"] == 0:
                _switches["before"] = sys.getswitchinterval()
                sys.setswitchinterval(min(_switches["before"], SWITCH_INTERVAL_S))
            _switches["imports"] += 1
        else:
            _switches["imports"] -= 1
            if _switches["imports"] == 0:
                sys.setswitchinterval(_switches["before"])


def start_prewarm(modules: tuple[str, ...] = RUN_MODULES) -> threading.Thread | None:
    """Start :func:`prewarm` on a daemon thread, unless ``$MLOPS_DESKTOP_NO_PREWARM=1``."""
    if os.environ.get(DISABLE_ENV) == "1":
        return None
    thread = threading.Thread(target=prewarm, args=(modules,), name="mlops-prewarm", daemon=True)
    thread.start()
    return thread
