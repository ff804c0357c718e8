"""Import, while the app sits idle after start-up, the libraries the first run will need.

scikit-learn and skops take one to two seconds to import, and parts of that hold the
interpreter lock long enough to stall the GUI thread for 100-250 ms. Importing them from a
background thread shortly after the window is shown moves that cost to a moment when the
user is still looking around, instead of the middle of their first run. Qt-free.
"""

from __future__ import annotations

import importlib
import logging
import os
import threading

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
    # The engine and the stages themselves.
    "mlops_desktop.engine.scheduler",
    "mlops_desktop.stages.data",
    "mlops_desktop.stages.model",
    "mlops_desktop.stages.operate",
    # Qt-free app code the window loads when the first run finishes.
    "mlops_desktop.app.assessment",
    "mlops_desktop.app.plot_data",
)
DISABLE_ENV = "MLOPS_DESKTOP_NO_PREWARM"


def prewarm(modules: tuple[str, ...] = RUN_MODULES) -> list[str]:
    """Import ``modules`` (skipping any that fail); returns the ones now imported."""
    done = []
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception as exc:  # noqa: BLE001 - an optional speed-up must never fail the app
            log.debug("prewarm: cannot import %s: %s", name, exc)
            continue
        done.append(name)
    return done


def start_prewarm(modules: tuple[str, ...] = RUN_MODULES) -> threading.Thread | None:
    """Start :func:`prewarm` on a daemon thread, unless ``$MLOPS_DESKTOP_NO_PREWARM=1``."""
    if os.environ.get(DISABLE_ENV) == "1":
        return None
    thread = threading.Thread(target=prewarm, args=(modules,), name="mlops-prewarm", daemon=True)
    thread.start()
    return thread
