"""Document tests: every undo command round-trips the document; clipboard, rename, layout."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from mlops_desktop.core import operations as ops
from mlops_desktop.core.graph import Note, Pipeline
from mlops_desktop.qt.document import commands as C
from mlops_desktop.qt.document.clipboard import ITEMS_MIME, copy_items, paste_operation
from mlops_desktop.qt.document.editor import PipelineEditor


def build(p: Pipeline) -> dict[str, str]:
    ids: dict[str, str] = {}
    for i, (key, stage) in enumerate(
        [
            ("load", "load_data"),
            ("split", "split"),
            ("train", "train"),
            ("eval", "evaluate"),
            ("py", "python_function"),
            ("split2", "split"),
        ]
    ):
        op = ops.add_stage(p, stage, 10.0 + i * 37, 20.0 * (i % 2))
        p.apply(op)
        ids[key] = op.node.id
    for a, ap, b, bp in [
        ("load", "dataset", "split", "dataset"),
        ("split", "split", "train", "split"),
        ("train", "model", "eval", "model"),
        ("split", "split", "eval", "split"),
    ]:
        p.apply(ops.connect(ids[a], ap, ids[b], bp))
    p.apply(ops.AddNote(Note("note1", "Data prep", -40.0, -40.0, 400.0, 200.0)))
    return ids


@pytest.fixture
def editor(qtbot) -> PipelineEditor:
    p = Pipeline("Doc")
    ed = PipelineEditor(p)
    qtbot.addWidget(ed)
    ed.resize(900, 600)
    ed.show()
    qtbot.waitExposed(ed)
    return ed


def round_trip(editor: PipelineEditor, make: Callable[[], C.PipelineCommand]) -> None:
    """Push a command, then undo and redo it twice, comparing whole documents."""
    p = editor.pipeline
    before = p.copy()
    assert editor.push(make())
    after = p.copy()
    assert not after.same_content(before), "the command changed nothing"
    for _ in range(2):
        editor.undo_stack.undo()
        assert p.same_content(before)
        assert set(editor.scene.node_items) == set(p.nodes)
        assert set(editor.scene.link_items) == set(p.links)
        assert set(editor.scene.note_items) == set(p.notes)
        editor.undo_stack.redo()
        assert p.same_content(after)
        assert set(editor.scene.link_items) == set(p.links)


def test_every_command_round_trips(editor: PipelineEditor) -> None:
    p = editor.pipeline
    ids = build(p)
    note = p.notes["note1"]
    cases: list[tuple[str, Callable[[], C.PipelineCommand]]] = [
        ("add node", lambda: C.AddNodeCommand(p, "tune", 500, 300)),
        ("add link", lambda: C.AddLinkCommand(p, ids["eval"], "metrics", ids["py"], "input")),
        (
            "reroute",
            lambda: C.RerouteLinkCommand(
                p,
                next(lk.id for lk in p.links.values() if lk.target == ids["split"]),
                ids["load"],
                "dataset",
                ids["split2"],
                "dataset",
            ),
        ),
        (
            "move",
            lambda: C.MoveNodesCommand(
                p,
                {ids["load"]: (-100.0, -50.0), ids["eval"]: (900.0, 10.0)},
                [replace(note, x=-60.0)],
            ),
        ),
        ("auto-layout", lambda: C.AutoLayoutCommand(p, {ids["py"]: (1200.0, 400.0)})),
        ("rename", lambda: C.RenameNodeCommand(p, ids["train"], "Forest")),
        (
            "params",
            lambda: C.SetParamsCommand(
                p, ids["train"], {**p.nodes[ids["train"]].params, "n_estimators": 7}
            ),
        ),
        ("add note", lambda: C.AddNoteCommand(p, 0, 400, "Deploy")),
        (
            "edit note",
            lambda: C.EditNoteCommand(p, replace(p.notes["note1"], text="Prep", width=500.0)),
        ),
        (
            "paste",
            lambda: C.PasteItemsCommand(
                p, *paste_operation(p, copy_items(p, [ids["train"], ids["eval"]]))[:2]
            ),
        ),
        ("delete", lambda: C.DeleteItemsCommand(p, [ids["split2"], ids["train"]], [], ["note1"])),
    ]
    for name, make in cases:
        round_trip(editor, make)
        assert editor.undo_stack.count() >= 1, name


def test_refused_command_leaves_no_undo_step(editor: PipelineEditor, qtbot) -> None:
    ids = build(editor.pipeline)
    before = editor.pipeline.copy()
    with qtbot.waitSignal(editor.status_message) as blocker:
        ok = editor.set_params(
            ids["train"], {**editor.pipeline.nodes[ids["train"]].params, "n_estimators": 0}
        )
    assert not ok and "n_estimators" in blocker.args[0]
    assert editor.undo_stack.count() == 0 and editor.pipeline.same_content(before)


def test_document_changed_follows_undo_stack(editor: PipelineEditor, qtbot) -> None:
    with qtbot.waitSignal(editor.document_changed):
        editor.add_stage("split", QPointF(0, 0))
    with qtbot.waitSignal(editor.document_changed):
        editor.undo_stack.undo()


def test_delete_selection_with_links_is_one_step(editor: PipelineEditor) -> None:
    ids = build(editor.pipeline)
    before = editor.pipeline.copy()
    editor.select_nodes([ids["split"], ids["train"]])
    editor.actions()["delete"].trigger()
    assert ids["split"] not in editor.pipeline.nodes and ids["train"] not in editor.pipeline.nodes
    assert all(ids["split"] not in (lk.source, lk.target) for lk in editor.pipeline.links.values())
    assert editor.undo_stack.count() == 1
    editor.undo_stack.undo()
    assert editor.pipeline.same_content(before)


def test_copy_paste_between_pipelines(editor: PipelineEditor, qtbot) -> None:
    ids = build(editor.pipeline)
    other = PipelineEditor(Pipeline("Other"))
    qtbot.addWidget(other)
    editor.select_nodes([ids["load"], ids["split"], ids["train"]])
    assert editor.copy()
    assert QApplication.clipboard().mimeData().hasFormat(ITEMS_MIME)
    assert other.paste()
    q = other.pipeline
    assert sorted(n.type for n in q.nodes.values()) == ["load_data", "split", "train"]
    assert len(q.links) == 2  # the links among the copied nodes, not the one to Evaluate
    assert not set(q.nodes) & set(editor.pipeline.nodes)  # fresh ids
    assert sorted(other.selected_node_ids()) == sorted(q.nodes)
    assert other.undo_stack.count() == 1
    other.undo_stack.undo()
    assert not q.nodes and not q.links


def test_paste_of_foreign_text_is_reported(editor: PipelineEditor, qtbot) -> None:
    QApplication.clipboard().setText("hello")
    with qtbot.waitSignal(editor.status_message) as blocker:
        assert not editor.paste()
    assert "clipboard" in blocker.args[0]


def test_cut_and_duplicate(editor: PipelineEditor) -> None:
    ids = build(editor.pipeline)
    editor.select_nodes([ids["train"]])
    assert editor.duplicate()
    titles = sorted(n.title for n in editor.pipeline.nodes.values() if n.type == "train")
    assert titles == ["Train", "Train 2"]
    editor.select_nodes([ids["eval"]])
    editor.cut()
    assert ids["eval"] not in editor.pipeline.nodes
    assert editor.undo_stack.text(editor.undo_stack.index() - 1) == "Cut"
    assert editor.paste()
    assert sum(n.type == "evaluate" for n in editor.pipeline.nodes.values()) == 1


def test_inline_rename(editor: PipelineEditor) -> None:
    ids = build(editor.pipeline)
    editor.select_nodes([ids["train"]])
    editor.actions()["rename"].trigger()
    edit = editor._title_edit
    assert edit is not None and edit.isVisible() and edit.text() == "Train"
    edit.selectAll()
    QTest.keyClicks(edit, "Random forest")
    QTest.keyClick(edit, Qt.Key.Key_Return)
    assert editor.pipeline.nodes[ids["train"]].title == "Random forest"
    assert editor.scene.node_items[ids["train"]].title == "Random forest"
    editor.undo_stack.undo()
    assert editor.pipeline.nodes[ids["train"]].title == "Train"


def test_select_all_and_selection_signal(editor: PipelineEditor, qtbot) -> None:
    ids = build(editor.pipeline)
    with qtbot.waitSignal(editor.selection_changed) as blocker:
        editor.actions()["select_all"].trigger()
    assert sorted(blocker.args[0]) == sorted(ids.values())


def test_auto_layout_is_left_to_right_without_overlap_and_one_step(editor: PipelineEditor) -> None:
    build(editor.pipeline)
    before = editor.pipeline.copy()
    assert editor.auto_layout()
    assert editor.undo_stack.count() == 1
    p = editor.pipeline
    for lk in p.links.values():
        assert p.nodes[lk.target].x > p.nodes[lk.source].x
    rects = [it.sceneBoundingRect() for it in editor.scene.node_items.values()]
    for i, a in enumerate(rects):
        for b in rects[i + 1 :]:
            assert not a.intersects(b)
    editor.undo_stack.undo()
    assert p.same_content(before)


def test_tab_search_adds_stage_at_popup_position(editor: PipelineEditor) -> None:
    popup = editor.open_stage_search()
    assert popup.isVisible()
    QTest.keyClicks(popup.search, "evalu")
    assert popup.matches("evalu")[0] == "evaluate"
    QTest.keyClick(popup.search, Qt.Key.Key_Return)
    assert [n.type for n in editor.pipeline.nodes.values()] == ["evaluate"]
    assert not popup.isVisible()


def test_actions_have_shortcuts(editor: PipelineEditor) -> None:
    acts = editor.actions()
    for name in (
        "cut",
        "copy",
        "paste",
        "duplicate",
        "delete",
        "select_all",
        "rename",
        "auto_layout",
        "fit",
        "zoom_in",
        "zoom_out",
        "add_note",
    ):
        assert not acts[name].shortcut().isEmpty(), name
    assert acts["fit"].shortcut().toString() == "F"
    # The window binds the undo keys once for every tab; a second binding makes both ambiguous.
    assert acts["undo"].shortcut().isEmpty() and acts["redo"].shortcut().isEmpty()


def test_add_note_and_backdrop_carries_nodes(editor: PipelineEditor) -> None:
    ids = build(editor.pipeline)
    editor.pipeline.apply(ops.MoveNodes({ids["load"]: (0.0, 0.0)}))
    editor.view.set_zoom(1.0)
    note_item = editor.scene.note_items["note1"]
    editor.view.centerOn(note_item)
    start = editor.view.mapFromScene(note_item.mapToScene(QPointF(385, 188)))
    vp = editor.view.viewport()
    QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    for k in range(1, 5):
        QTest.mouseMove(vp, start + QPoint(25 * k, 10 * k))
    QTest.mouseRelease(
        vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start + QPoint(100, 40)
    )
    p = editor.pipeline
    assert (p.notes["note1"].x, p.notes["note1"].y) == pytest.approx((60, 0), abs=1)
    assert (p.nodes[ids["load"]].x, p.nodes[ids["load"]].y) == pytest.approx((100, 40), abs=1)
    assert editor.undo_stack.count() == 1


def test_context_menus_follow_the_item_under_the_cursor(editor: PipelineEditor) -> None:
    ids = build(editor.pipeline)
    editor.auto_layout()
    editor.view.set_zoom(1.0)
    node = editor.scene.node_items[ids["train"]]
    editor.view.centerOn(node)
    menu = editor.context_menu(editor.view.mapFromScene(node.mapToScene(QPointF(60, 50))))
    assert [a.text() for a in menu.actions()][:2] == ["&Rename Stage", "D&uplicate"]
    assert editor.selected_node_ids() == [ids["train"]]
    canvas = editor.context_menu(QPoint(2, 2))
    assert "Add stage…" in [a.text() for a in canvas.actions()]


def test_note_colour_is_an_undo_step(editor: PipelineEditor) -> None:
    build(editor.pipeline)
    assert editor.set_note_colour("note1", "#dbeafe")
    assert editor.pipeline.notes["note1"].color == "#dbeafe"
    assert editor.scene.note_items["note1"].note.color == "#dbeafe"
    editor.undo_stack.undo()
    assert editor.pipeline.notes["note1"].color == "#fff3b0"


def test_a_link_step_in_the_history_names_its_stages_and_ports(editor: PipelineEditor) -> None:
    p = editor.pipeline
    ids = build(p)
    command = C.AddLinkCommand(p, ids["eval"], "metrics", ids["py"], "input")
    titles = p.nodes[ids["eval"]].title, p.nodes[ids["py"]].title
    assert command.text() == f"Link {titles[0]}.metrics → {titles[1]}.input"
