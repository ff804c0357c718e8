"""Train's inspector offers the estimators of the task Load data was told to use: a file's
target forced to regression greys out the classifiers (and the reverse)."""

from __future__ import annotations

from mlops_desktop.core import operations as ops
from mlops_desktop.core.graph import Pipeline
from mlops_desktop.qt.document.editor import PipelineEditor
from mlops_desktop.qt.inspector.panel import NodeInspector
from mlops_desktop.stages.specs_model import CLASSIFIERS, REGRESSORS


def _enabled(inspector: NodeInspector) -> set[str]:
    combo = inspector.rows["estimator"].editor
    model = combo.model()
    return {combo.itemText(i) for i in range(combo.count()) if model.item(i).isEnabled()}


def test_the_chosen_task_decides_the_offered_estimators(qtbot) -> None:
    p = Pipeline("P")
    load = ops.add_stage(p, "load_data", params={"source": "file", "path": "/x.csv"})
    split, train = ops.add_stage(p, "split"), ops.add_stage(p, "train")
    for op in (load, split, train):
        p.apply(op)
    p.apply(ops.connect(load.node.id, "dataset", split.node.id, "dataset"))
    p.apply(ops.connect(split.node.id, "split", train.node.id, "split"))
    editor, inspector = PipelineEditor(p), NodeInspector()
    qtbot.addWidget(editor)
    qtbot.addWidget(inspector)
    inspector.set_editor(editor)
    editor.select_nodes([train.node.id])
    assert _enabled(inspector) == set(CLASSIFIERS + REGRESSORS)  # a file: not known yet
    for task, offered in (("regression", REGRESSORS), ("classification", CLASSIFIERS)):
        params = dict(p.node(load.node.id).params, task=task)
        assert editor.set_params(load.node.id, params)
        editor.select_nodes([train.node.id])
        assert _enabled(inspector) == set(offered)
