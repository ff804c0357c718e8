"""A pipeline with its own Python code runs from the window only once the user trusts it."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings

from mlops_desktop.app.trust import untrusted_code
from mlops_desktop.core.graph import Link, Node, Pipeline
from mlops_desktop.core.operations import AddLink, AddNode
from mlops_desktop.qt import dialogs
from mlops_desktop.qt.main_window import MainWindow


@pytest.fixture
def window(qtbot, tmp_path):
    code = tmp_path / "user_code.py"
    code.write_text(
        "import pandas as pd\n\n"
        "def head(frame: pd.DataFrame) -> pd.DataFrame:\n"
        "    return frame.head(10)\n",
        encoding="utf-8",
    )
    win = MainWindow(settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.show()
    win.open_workspace(str(tmp_path / "w.db"))
    win.service.create_project("custom", template="blank")
    pipeline = Pipeline("code")
    pipeline.apply(AddNode(Node("load", "load_data", "Load", {"dataset": "iris"}, 0, 0)))
    pipeline.apply(
        AddNode(
            Node("fn", "python_function", "Head", {"file": str(code), "function": "head"}, 250, 0)
        )
    )
    pipeline.apply(AddLink(Link("l1", "load", "dataset", "fn", "input")))
    win.service.create_pipeline("custom", "code", pipeline)
    win.open_pipeline("custom", "code")
    yield win
    win.runner.wait(30)
    win.close()


def test_untrusted_code_asks_first_and_remembers(qtbot, window, monkeypatch) -> None:
    asked: list[str] = []

    def decline(parent, title, text, action, informative=""):
        asked.append(informative)
        return False

    monkeypatch.setattr(dialogs, "confirm", decline)
    assert window.run_pipeline() is False
    assert asked and "user_code.py" in asked[0]
    assert "not trusted" in window.log.toPlainText()
    assert window.workspace.runs.list(window.workspace.projects.get("custom").id) == []

    monkeypatch.setattr(dialogs, "confirm", lambda *a, **k: asked.append("again") or True)
    with qtbot.waitSignal(window.runner.finished, timeout=60000) as blocker:
        assert window.run_pipeline() is True
    assert blocker.args[1] == "succeeded"
    assert untrusted_code(window.workspace, window.current_pipeline()) == []

    # Trusted once: the next run does not ask again.
    asked.clear()
    with qtbot.waitSignal(window.runner.finished, timeout=60000):
        window.run_pipeline(force=True)
    assert asked == []
