"""Starting the GUI: the QApplication, its identity for QSettings, icon, theme and main window.

Start-up stays fast: nothing heavy (scikit-learn, pyqtgraph, pandas) is imported here, and
the workspace (SQLAlchemy, Alembic migrations) opens right after the window is shown.
``MLOPS_DESKTOP_EXIT_AFTER_SHOW=1`` makes the app print when the window was shown and when
the workspace was ready (``time.time()`` stamps) and quit: the start-up benchmark uses it.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import traceback
from types import TracebackType
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication, QWidget

from mlops_desktop import __version__
from mlops_desktop.core.resources import resource_path
from mlops_desktop.qt import e2e_probe, gui_gc
from mlops_desktop.qt.window.run_panel_prep import PANEL_MODULES, PanelSteps, panel_steps

if TYPE_CHECKING:
    from mlops_desktop.qt.main_window import MainWindow

APP_NAME = "MLOps Desktop"
ORG_NAME = "MLOps Desktop"
ORG_DOMAIN = "mlops-desktop.github.io"
DESKTOP_FILE = "io.github.mlops_desktop.MlopsDesktop"
EXIT_AFTER_SHOW = "MLOPS_DESKTOP_EXIT_AFTER_SHOW"
ICON_SIZES = (16, 32, 48, 64, 128, 256)


def ensure_gui_application() -> QGuiApplication:
    """The running Qt application, or a new one (offscreen when there is no display), for
    drawing reports from the command line.

    A widgets application, since plots and the pipeline scene are drawn by widgets."""
    app = QGuiApplication.instance()
    if app is not None:
        return app  # type: ignore[return-value]
    headless = not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    if headless and not os.environ.get("QT_QPA_PLATFORM") and os.name != "nt":
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    global _APP
    skip_pyside_source_scan()
    _APP = QApplication([])
    return _APP


_APP: QGuiApplication | None = None


def app_icon() -> QIcon:
    """The application icon from the shipped PNG sizes."""
    icon = QIcon()
    for size in ICON_SIZES:
        path = resource_path("app_icon", f"mlops-desktop-{size}.png")
        if path.is_file():
            icon.addFile(str(path))
    return icon


def skip_pyside_source_scan() -> bool:
    """Stop PySide6 from reading the source of every module imported after it.

    PySide6 hooks the import system for its opt-in ``from __feature__ import ...`` switches:
    after each import it opens and tokenizes the new module's source to look for the word
    "PySide6" (a fifth of the time of importing scikit-learn, pandas and pyqtgraph, and all
    of it holding the interpreter lock the GUI thread waits for). The app never selects a
    feature, so every module may simply be left out of the switching, which reads nothing.
    Returns whether the hook was found (it is internal to PySide6 and may move).
    """
    feature = sys.modules.get("shibokensupport.feature")
    if feature is None or not callable(getattr(feature, "_mod_uses_pyside", None)):
        return False
    setattr(feature, "_mod_uses_pyside", _uses_no_feature)  # noqa: B010 - see the docstring
    return True


def _uses_no_feature(module: object) -> bool:
    """No module of the app's process switches PySide6 features (see above)."""
    return False


def create_application(argv: list[str] | None = None) -> QApplication:
    """The QApplication with the names QSettings uses (or the one already running)."""
    skip_pyside_source_scan()
    app = QApplication.instance()
    if app is None:
        app = QApplication(argv if argv is not None else sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setOrganizationName(ORG_NAME)
    app.setOrganizationDomain(ORG_DOMAIN)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(DESKTOP_FILE)
    app.setWindowIcon(app_icon())
    return app


def _install_excepthook(window) -> None:  # noqa: ANN001
    """Unexpected errors show a dialog with the details on request, never a bare traceback."""
    from mlops_desktop.core.errors import MlopsError
    from mlops_desktop.qt import dialogs

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            QApplication.quit()
            return
        details = "".join(traceback.format_exception(kind, exc, tb))
        sys.stderr.write(details)
        if isinstance(exc, MlopsError):
            window.show_message(str(exc), error=True)
            return
        dialogs.show_error(
            window,
            f"Something went wrong: {exc or kind.__name__}. Your edits are saved; the "
            "details below help to report the problem.",
            details,
        )

    sys.excepthook = hook


PREWARM_DELAY_MS = 1500
PREWARMED = "mlops_prewarmed"  # the window's property set once the prewarm is done
PREWARM_POLL_MS = 100  # between two steps of the prewarm on the GUI thread


#: What the window's process imports for a run that goes on in a worker process (the
#: worker imports the run's libraries): starting it, its live points, reading it back.
WINDOW_RUN_MODULES = (
    "numpy",
    "mlops_desktop.app.data_checks",
    "mlops_desktop.core.trigger_settings",
    "mlops_desktop.storage.reserve",
    "mlops_desktop.stages.custom",  # the trust check of Python-function stages
    "mlops_desktop.engine.executors",
    "mlops_desktop.app.runs",
    "mlops_desktop.app.run_process",
    "mlops_desktop.app.assessment",
    "mlops_desktop.app.plot_data",
)


def prewarm_modules() -> tuple[str, ...]:
    """The modules a run needs in the window's process, then the window's own, in import
    order: the run's libraries too when runs go on in this process."""
    from mlops_desktop.app.prewarm import RUN_MODULES
    from mlops_desktop.app.run_process import in_thread_requested

    return (RUN_MODULES if in_thread_requested() else WINDOW_RUN_MODULES) + PANEL_MODULES


def prewarm_window(window: MainWindow) -> threading.Thread | None:
    """Get the window ready for its first run while the user looks around: the run's
    libraries imported in a worker thread (:mod:`mlops_desktop.app.prewarm`), then, on the
    GUI thread, the Run panel made and drawn once off-screen (its plots' first layout and
    paint cost a few hundred milliseconds that would otherwise fall in the run's start) and
    what was imported left out of later garbage collections (:mod:`gui_gc`).
    Returns the import thread (None when the prewarm is turned off)."""
    from mlops_desktop.app.prewarm import start_prewarm

    thread = start_prewarm(prewarm_modules())
    if thread is None:
        return None
    # One step per tick: each is a short turn of the GUI thread (together they stalled it
    # 60-100 ms).
    steps = [
        *panel_steps(window.runs, window),
        gui_gc.freeze_long_lived,  # the libraries stay: full collections skip them
        # The first run's process, once the window's imports are done: started with them,
        # its start and imports took the CPU the window needed (stalls of 80-100 ms).
        window.runner.warm_worker,
        lambda: window.setProperty(PREWARMED, True),  # see :func:`prewarmed`
    ]
    PanelSteps(window, steps, thread, PREWARM_POLL_MS)
    return thread


def prewarmed(window: QWidget) -> bool:
    """Whether :func:`prewarm_window` has finished getting ``window`` ready."""
    return bool(window.property(PREWARMED))


def run_gui(workspace: str | None) -> int:
    """Open the main window on ``workspace`` (None: the default workspace). Returns the exit code."""
    from mlops_desktop.qt.main_window import MainWindow
    from mlops_desktop.qt.theme import ThemeManager

    app = create_application()
    settings = QSettings()
    theme = ThemeManager(app, str(settings.value("view/theme", "system")))
    window = MainWindow(settings=settings, theme=theme)
    e2e_probe.install(window)  # writes widget geometry only when its variable is set
    exit_after_show = os.environ.get(EXIT_AFTER_SHOW) == "1"
    window.show()
    shown = time.time()
    _install_excepthook(window)

    status = [0]

    def open_workspace() -> None:
        ok = window.open_workspace(workspace, interactive=not exit_after_show)
        if not exit_after_show:
            # Once the window has settled: the first run then finds its libraries imported
            # and its Run panel made.
            QTimer.singleShot(PREWARM_DELAY_MS, lambda: prewarm_window(window))
        if exit_after_show:
            print(f"shown={shown:.6f} ready={time.time():.6f}", flush=True)
            status[0] = 0 if ok else 1
            window.close()
            app.quit()

    QTimer.singleShot(0, open_workspace)
    code = app.exec()
    sys.excepthook = sys.__excepthook__  # the hook holds the window
    release_window(window)
    return status[0] or code


def release_window(window: QWidget) -> None:
    """Delete a closed window and everything in it now, while Qt and the interpreter are
    whole. Left to the interpreter's exit, the plots' graphics scenes are torn down after
    Python has begun to finalise, Qt calls their Python overrides, and the process ends in a
    segmentation fault instead of its exit code."""
    import shiboken6

    if shiboken6.isValid(window):
        shiboken6.delete(window)
