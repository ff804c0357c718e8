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


def _drop(editor: PipelineEditor, palette: StagePalette, stage_id: str, pos: QPoint) -> None:
    mime = palette.tree.mimeData([stage_item(palette, stage_id)])
    event = QDropEvent(
        QPointF(pos),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    editor.view.dropEvent(event)


def test_a_stage_dropped_on_a_link_is_inserted_with_room_and_undone_in_one_step(qtbot) -> None:
    from mlops_desktop.core.graph import Link, Node
    from mlops_desktop.core.operations import AddLink, AddNode

    palette = StagePalette()
    pipeline = Pipeline("P")
    pipeline.apply(AddNode(Node("load", "load_data", "Load", {}, 0, 0)))
    pipeline.apply(AddNode(Node("split", "split", "Split", {}, 260, 0)))
    pipeline.apply(AddNode(Node("train", "train", "Train", {}, 520, 0)))
    pipeline.apply(AddLink(Link("l1", "load", "dataset", "split", "dataset")))
    pipeline.apply(AddLink(Link("l2", "split", "split", "train", "split")))
    editor = PipelineEditor(pipeline)
    qtbot.addWidget(palette)
    qtbot.addWidget(editor)
    editor.resize(1000, 600)
    editor.show()
    qtbot.waitExposed(editor)
    scene = editor.scene
    before = {nid: (n.x, n.y) for nid, n in pipeline.nodes.items()}
    # The middle of the Load → Split link, where the person lets go of the dragged stage.
    link_item = next(i for i in scene.items() if getattr(i, "link_id", None) == "l1")
    mid = link_item.path().pointAtPercent(0.5)
    _drop(editor, palette, "validate_data", editor.view.mapFromScene(mid))
    (new_id,) = set(pipeline.nodes) - set(before)
    assert pipeline.nodes[new_id].type == "validate_data"
    assert sorted((lk.source, lk.target) for lk in pipeline.links.values()) == sorted(
        [("load", new_id), (new_id, "split"), ("split", "train")]
    )
    # Room was made: no stage lies under the inserted one, and the order stays left to right.
    rects = {nid: item.sceneBoundingRect() for nid, item in scene.node_items.items()}
    assert not any(rects[new_id].intersects(rects[n]) for n in before)
    assert (
        rects["load"].right() < rects[new_id].left() < rects[new_id].right() < rects["split"].left()
    )
    assert rects["split"].right() < rects["train"].left()
    # One undo step (Ctrl+Z in the window: the e2e test presses it) takes the stage out,
    # joins Load to Split again and puts every stage back.
    assert editor.undo_stack.undoText() == "Insert Validate data"
    editor.undo_stack.undo()
    assert set(pipeline.nodes) == set(before)
    assert {nid: (n.x, n.y) for nid, n in pipeline.nodes.items()} == before
    assert sorted((lk.source, lk.target) for lk in pipeline.links.values()) == [
        ("load", "split"),
        ("split", "train"),
    ]
