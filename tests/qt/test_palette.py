"""Palette tests: categories, search, and a drag's MIME data dropped on the canvas."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QDropEvent

from mlops_desktop.core.graph import Pipeline
from mlops_desktop.core.registry import default_registry
from mlops_desktop.qt.canvas.view import STAGE_MIME
from mlops_desktop.qt.document.editor import PipelineEditor
from mlops_desktop.qt.palette import ROLE_STAGE, StagePalette


def stage_item(palette: StagePalette, stage_id: str):
    tree = palette.tree
    for i in range(tree.topLevelItemCount()):
        head = tree.topLevelItem(i)
        for j in range(head.childCount()):
            if head.child(j).data(0, ROLE_STAGE) == stage_id:
                return head.child(j)
    raise AssertionError(stage_id)


def test_palette_lists_every_stage_by_category(qtbot) -> None:
    palette = StagePalette()
    qtbot.addWidget(palette)
    registry = default_registry()
    heads = [palette.tree.topLevelItem(i).text(0) for i in range(palette.tree.topLevelItemCount())]
    assert heads == list(registry.categories())
    assert sorted(palette.visible_stage_ids()) == sorted(s.id for s in registry)
    item = stage_item(palette, "train")
    assert "Fit a scikit-learn estimator" in item.toolTip(0) and "Split" in item.toolTip(0)
    assert not item.icon(0).isNull()


def test_search_filters_stages(qtbot) -> None:
    palette = StagePalette()
    qtbot.addWidget(palette)
    palette.search.setText("drift")
    assert palette.visible_stage_ids() == ["simulate_traffic", "monitor"]  # both mention drift
    palette.search.setText("model reg")
    assert "register_model" in palette.visible_stage_ids()
    palette.search.setText("")
    assert len(palette.visible_stage_ids()) == len(default_registry())


def test_dragged_item_drops_onto_canvas(qtbot) -> None:
    palette = StagePalette()
    editor = PipelineEditor(Pipeline("P"))
    qtbot.addWidget(palette)
    qtbot.addWidget(editor)
    editor.resize(800, 600)
    editor.show()
    qtbot.waitExposed(editor)
    mime = palette.tree.mimeData([stage_item(palette, "split")])
    assert palette.tree.mimeTypes() == [STAGE_MIME]
    assert bytes(mime.data(STAGE_MIME).data()) == b"split"
    pos = QPoint(400, 300)
    event = QDropEvent(
        QPointF(pos),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    editor.view.dropEvent(event)
    assert event.isAccepted()
    (node,) = editor.pipeline.nodes.values()
    assert node.type == "split"
    assert (
        editor.scene.node_items[node.id].sceneBoundingRect().contains(editor.view.mapToScene(pos))
    )


def test_activation_signal(qtbot) -> None:
    palette = StagePalette()
    qtbot.addWidget(palette)
    with qtbot.waitSignal(palette.stage_activated) as blocker:
        palette.tree.itemActivated.emit(stage_item(palette, "deploy"), 0)
    assert blocker.args == ["deploy"]
