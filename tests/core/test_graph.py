"""The pipeline graph: links are checked, edits are invertible, events are emitted."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlops_desktop.core import operations as ops
from mlops_desktop.core.errors import GraphError, ParameterError
from mlops_desktop.core.graph import Link, Pipeline


def chain(p: Pipeline, *types: str) -> list[str]:
    """Add stages of ``types`` and return their ids (not linked)."""
    ids = []
    for i, t in enumerate(types):
        op = ops.add_stage(p, t, x=200.0 * i)
        p.apply(op)
        ids.append(op.node.id)
    return ids


def test_compatible_ports_link_and_generations_follow():
    p = Pipeline()
    load, split, train, ev = chain(p, "load_data", "split", "train", "evaluate")
    p.apply(ops.connect(load, "dataset", split, "dataset"))
    p.apply(ops.connect(split, "split", train, "split"))
    p.apply(ops.connect(train, "model", ev, "model"))
    p.apply(ops.connect(split, "split", ev, "split"))
    assert p.generations() == [[load], [split], [train], [ev]]
    assert p.upstream(ev) == {load, split, train}
    assert p.downstream(split) == {train, ev}


@pytest.mark.parametrize(
    ("src_port", "dst_port", "reason"),
    [
        ("dataset", "split", "port types differ"),  # Dataset into a Split input
        ("nope", "dataset", "no output port 'nope'"),
        ("dataset", "nope", "no input port 'nope'"),
    ],
)
def test_bad_links_are_refused_with_reason(src_port, dst_port, reason):
    p = Pipeline()
    load, split, train = chain(p, "load_data", "split", "train")
    target = train if dst_port == "split" else split
    with pytest.raises(GraphError, match=reason):
        p.apply(ops.connect(load, src_port, target, dst_port))
    assert not p.links


def test_second_link_into_an_input_is_refused():
    p = Pipeline()
    a, b, s = chain(p, "load_data", "load_data", "split")
    p.apply(ops.connect(a, "dataset", s, "dataset"))
    with pytest.raises(GraphError, match="already linked"):
        p.apply(ops.connect(b, "dataset", s, "dataset"))


def test_cycle_is_refused():
    p = Pipeline()
    f1, f2 = chain(p, "feature_engineering", "feature_engineering")
    p.apply(ops.connect(f1, "split", f2, "split"))
    with pytest.raises(GraphError, match="cycle"):
        p.apply(ops.connect(f2, "split", f1, "split"))


def test_link_to_missing_node_is_refused():
    p = Pipeline()
    (a,) = chain(p, "load_data")
    with pytest.raises(GraphError, match="does not exist"):
        p.apply(ops.AddLink(Link("l1", a, "dataset", "ghost", "dataset")))


def test_bad_parameter_is_refused_naming_it():
    p = Pipeline()
    (s,) = chain(p, "split")
    with pytest.raises(ParameterError, match="test_size.*<= 0.9"):
        p.apply(ops.set_param(p, s, "test_size", 1.5))
    with pytest.raises(ParameterError, match="seed.*integer"):
        p.apply(ops.set_param(p, s, "seed", "abc"))
    with pytest.raises(ParameterError, match="unknown parameter"):
        p.apply(ops.set_param(p, s, "bogus", 1))
    assert p.node(s).params["test_size"] == 0.25


def test_remove_items_removes_links_and_undoes_in_one_step():
    p = Pipeline()
    load, split, train = chain(p, "load_data", "split", "train")
    p.apply(ops.connect(load, "dataset", split, "dataset"))
    p.apply(ops.connect(split, "split", train, "split"))
    before = p.copy()
    inverse = p.apply(ops.remove_items(p, [split]))
    assert split not in p.nodes and not p.links
    p.apply(inverse)
    assert p.same_content(before)


def test_failed_compound_leaves_document_unchanged():
    p = Pipeline()
    a, s = chain(p, "load_data", "split")
    before = p.copy()
    bad = ops.Compound((ops.connect(a, "dataset", s, "dataset"), ops.RenameNode(s, "  ")))
    with pytest.raises(GraphError):
        p.apply(bad)
    assert p.same_content(before)


def test_events_are_emitted_in_past_tense():
    p = Pipeline()
    seen: list[str] = []
    unsubscribe = p.subscribe(lambda e: seen.append(e.kind))
    (a,) = chain(p, "load_data")
    p.apply(ops.RenameNode(a, "Raw data"))
    p.apply(ops.MoveNodes({a: (5.0, 6.0)}))
    p.apply(ops.remove_items(p, [a]))
    unsubscribe()
    chain(p, "split")
    assert seen == ["node_added", "node_changed", "node_changed", "node_removed"]


def test_parameters_are_stored_with_their_declared_types():
    p = Pipeline()
    (s,) = chain(p, "split")
    p.apply(ops.set_param(p, s, "validation_size", 0))
    p.apply(ops.set_param(p, s, "seed", "7"))
    assert isinstance(p.node(s).params["validation_size"], float)
    assert p.node(s).params["seed"] == 7


def _doc(n: int, links: list[tuple[int, int]]) -> dict:
    from mlops_desktop.core import serialization

    return {
        "format_version": serialization.FORMAT_VERSION,
        "nodes": [{"id": f"n{i}", "type": "feature_engineering"} for i in range(n)],
        "links": [
            {"id": f"l{k}", "source": f"n{a}", "source_port": "split", "target": f"n{b}",
             "target_port": "split"}
            for k, (a, b) in enumerate(links)
        ],
    }  # fmt: skip


GRAPHS = {
    "n": st.integers(min_value=1, max_value=7),
    "edges": st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), max_size=14),
}


@given(**GRAPHS)
@settings(max_examples=150, deadline=None)
def test_a_document_is_refused_exactly_when_its_links_make_a_cycle(n, edges):
    """Reading a pipeline file finds a cycle (plain Python) exactly where networkx does,
    parallel links and loops included; an acyclic one loads and validates clean of it."""
    import networkx as nx

    from mlops_desktop.core import serialization
    from mlops_desktop.core.errors import FormatError
    from mlops_desktop.core.validation import validate

    links = [(a % n, b % n) for a, b in edges]
    reference = nx.MultiDiGraph()
    reference.add_nodes_from(range(n))
    reference.add_edges_from(links)
    if nx.is_directed_acyclic_graph(reference):
        pipeline = serialization.from_dict(_doc(n, links))
        assert pipeline.is_acyclic()
        assert all("cycle" not in p.message for p in validate(pipeline))
    else:
        with pytest.raises(FormatError, match="contains a cycle through stage"):
            serialization.from_dict(_doc(n, links))


@given(**GRAPHS)
@settings(max_examples=150, deadline=None)
def test_a_link_is_refused_exactly_when_it_would_close_a_cycle(n, edges):
    """Linking on the canvas refuses a link that closes a cycle, as networkx would see it."""
    import networkx as nx

    p = Pipeline()
    ids = chain(p, *["feature_engineering"] * n)
    reference = nx.DiGraph()
    reference.add_nodes_from(range(n))
    for a, b in ((a % n, b % n) for a, b in edges):
        closes = a == b or nx.has_path(reference, b, a)
        try:
            p.apply(ops.connect(ids[a], "split", ids[b], "split"))
        except GraphError as exc:
            if "cycle" in str(exc) or "to itself" in str(exc):
                assert closes
            else:  # an input takes one link
                assert "already linked" in str(exc) and reference.in_degree(b) > 0
            continue
        assert not closes
        reference.add_edge(a, b)
