"""Property: applying any edit and then its inverse restores exactly the previous document."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlops_desktop.core import operations as ops
from mlops_desktop.core.errors import MlopsError
from mlops_desktop.core.graph import Note, Pipeline
from mlops_desktop.core.registry import default_registry

STAGE_TYPES = [s.id for s in default_registry()]


@st.composite
def edit(draw, pipeline: Pipeline):
    """One random edit over the current document (it may be refused, which is fine)."""
    nodes = list(pipeline.nodes)
    links = list(pipeline.links)
    choice = draw(
        st.sampled_from(
            ["add", "remove", "link", "unlink", "move", "rename", "param", "note", "meta"]
        )
    )
    if choice == "add" or not nodes:
        return ops.add_stage(
            pipeline,
            draw(st.sampled_from(STAGE_TYPES)),
            x=draw(st.floats(-1e4, 1e4)),
            y=draw(st.floats(-1e4, 1e4)),
        )
    node = draw(st.sampled_from(nodes))
    if choice == "remove":
        return ops.remove_items(pipeline, draw(st.lists(st.sampled_from(nodes), max_size=3)))
    if choice == "link":
        src, dst = draw(st.sampled_from(nodes)), draw(st.sampled_from(nodes))
        s_spec = pipeline.registry.get(pipeline.node(src).type)
        d_spec = pipeline.registry.get(pipeline.node(dst).type)
        if not s_spec.outputs or not d_spec.inputs:
            return ops.MoveNodes({node: (0.0, 0.0)})
        return ops.connect(
            src,
            draw(st.sampled_from(s_spec.outputs)).name,
            dst,
            draw(st.sampled_from(d_spec.inputs)).name,
        )
    if choice == "unlink" and links:
        return ops.RemoveLink(draw(st.sampled_from(links)))
    if choice == "rename":
        return ops.RenameNode(node, draw(st.text(min_size=0, max_size=12)))
    if choice == "param":
        spec = pipeline.registry.get(pipeline.node(node).type)
        if spec.params:
            param = draw(st.sampled_from(spec.params))
            value = draw(
                st.one_of(
                    st.integers(-5, 5000),
                    st.floats(-2, 2),
                    st.booleans(),
                    st.text(max_size=5),
                    st.just(param.default),
                )
            )
            return ops.set_param(pipeline, node, param.name, value)
    if choice == "note":
        return ops.AddNote(Note(f"n{draw(st.integers(0, 9))}", draw(st.text(max_size=20))))
    if choice == "meta":
        return ops.SetMeta(
            "triggers",
            draw(st.one_of(st.none(), st.just([{"type": "schedule", "cron": "0 * * * *"}]))),
        )
    return ops.MoveNodes(
        {
            n: (draw(st.floats(-1e3, 1e3)), 1.0)
            for n in draw(st.lists(st.sampled_from(nodes), min_size=1, max_size=4))
        }
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_every_edit_is_inverted_exactly(data):
    pipeline = Pipeline()
    history: list[tuple[Pipeline, object]] = []
    for _ in range(data.draw(st.integers(1, 25))):
        before = pipeline.copy()
        op = data.draw(edit(pipeline))
        try:
            inverse = pipeline.apply(op)
        except MlopsError:
            assert pipeline.same_content(before), "a refused edit changed the document"
            continue
        history.append((before, inverse))
    # Undo everything, checking each intermediate document on the way back.
    for before, inverse in reversed(history):
        redo = pipeline.apply(inverse)
        assert pipeline.same_content(before)
        # ... and redo/undo once more round-trips too.
        again = pipeline.apply(redo)
        pipeline.apply(again)
        assert pipeline.same_content(before)
    assert not pipeline.nodes and not pipeline.links
