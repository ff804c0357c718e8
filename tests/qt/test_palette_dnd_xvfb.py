"""A real drag and drop from the palette to the canvas under Xvfb, driven by xdotool.

QDrag.exec cannot run offscreen, so this starts a small app on a virtual X server and moves
the real mouse in small steps from the palette's "Train" item to the middle of the canvas.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
import time

import pytest

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not (shutil.which("xvfb-run") and shutil.which("xdotool")),
        reason="needs xvfb-run and xdotool",
    ),
]

APP = textwrap.dedent(
    """
    import json, sys
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QSplitter
    from mlops_desktop.core.graph import Pipeline
    from mlops_desktop.qt.document.editor import PipelineEditor
    from mlops_desktop.qt.palette import ROLE_STAGE, StagePalette

    out = sys.argv[1]
    app = QApplication([])
    split = QSplitter()
    palette, editor = StagePalette(), PipelineEditor(Pipeline("P"))
    split.addWidget(palette)
    split.addWidget(editor)
    split.resize(1150, 700)
    split.show()

    def publish():
        head = palette.tree.topLevelItem(1)  # Model
        item = head.child(0)  # Train
        src = palette.tree.viewport().mapToGlobal(palette.tree.visualItemRect(item).center())
        dst = editor.view.viewport().mapToGlobal(editor.view.viewport().rect().center())
        with open(out + ".pos", "w") as f:
            json.dump({"src": [src.x(), src.y()], "dst": [dst.x(), dst.y()], "stage": item.data(0, ROLE_STAGE)}, f)

    def finish():
        centre = editor.view.mapToScene(editor.view.viewport().rect().center())
        nodes = [
            {"type": n.type, "contains": editor.scene.node_items[n.id].sceneBoundingRect().contains(centre)}
            for n in editor.pipeline.nodes.values()
        ]
        with open(out, "w") as f:
            json.dump(nodes, f)
        app.quit()

    QTimer.singleShot(500, publish)
    QTimer.singleShot(int(sys.argv[2]), finish)
    app.exec()
    """
)

DRIVER = textwrap.dedent(
    """
    set -e
    "$PYTHON" "$APP" "$OUT" 7000 &
    for i in $(seq 1 50); do [ -f "$OUT.pos" ] && break; sleep 0.1; done
    read SX SY DX DY < <("$PYTHON" -c "import json; d=json.load(open('$OUT.pos')); print(*d['src'], *d['dst'])")
    xdotool mousemove "$SX" "$SY"; sleep 0.3; xdotool mousedown 1; sleep 0.2
    for i in $(seq 1 20); do
        xdotool mousemove $((SX + (DX - SX) * i / 20)) $((SY + (DY - SY) * i / 20)); sleep 0.05
    done
    sleep 0.3; xdotool mouseup 1
    wait
    """
)


def test_real_drag_from_palette_adds_stage_where_dropped(tmp_path) -> None:
    app = tmp_path / "app.py"
    app.write_text(APP, encoding="utf-8")
    driver = tmp_path / "drive.sh"
    driver.write_text(DRIVER, encoding="utf-8")
    out = tmp_path / "result.json"
    env = {"PYTHON": sys.executable, "APP": str(app), "OUT": str(out), "PATH": "/usr/bin:/bin"}
    start = time.monotonic()
    proc = subprocess.run(
        ["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24", "bash", str(driver)],
        env={**env, "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.exists(), (
        f"app did not finish ({time.monotonic() - start:.1f} s): {proc.stderr[-800:]}"
    )
    assert json.loads(out.read_text()) == [{"type": "train", "contains": True}]
