"""A pipeline's SQL source is inside the trust gate, on SQLite and PostgreSQL workspaces: one
read-only SELECT, trusted by its database and query (shown in the prompt), never aimed at
the workspace's own database; VACUUM INTO, ATTACH and stacked statements are refused."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from mlops_desktop.app.trust import SETTING
from mlops_desktop.app.workspace import Workspace
from mlops_desktop.cli import main


def _doc(url: str, query: str) -> dict:
    params = {"source": "sql", "url": url, "query": query, "target": "y"}
    node = {"id": "load", "type": "load_data", "title": "Load data", "params": params}
    return {"format": "mlops-desktop/pipeline", "format_version": 2, "name": "q", "nodes": [node]}


@pytest.fixture
def setup(backend_url: str, tmp_path: Path, capsys):
    os.environ["MLOPS_DESKTOP_ARTIFACTS"] = str(tmp_path / "artifacts")
    data = tmp_path / "data.db"
    with sqlite3.connect(data) as con:
        con.execute("CREATE TABLE t (x INTEGER, y INTEGER)")
        con.executemany("INSERT INTO t VALUES (?, ?)", [(i, i % 2) for i in range(40)])
    args = ["--workspace", backend_url]
    assert main([*args, "project", "create", "p"]) == 0
    capsys.readouterr()

    def add(name: str, url: str, query: str) -> list[str]:
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(_doc(url, query)), encoding="utf-8")
        assert main([*args, "pipeline", "import", "p", str(path), "--name", name]) == 0
        capsys.readouterr()
        return [*args, "run", "p", "--pipeline", name]

    yield args, data, add
    os.environ.pop("MLOPS_DESKTOP_ARTIFACTS", None)


def _trusted(url: str) -> list:
    with Workspace.open(url) as ws:
        return ws.settings.get(SETTING, [])


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("VACUUM INTO '{dir}/stolen.db'", "only a SELECT"),
        ("ATTACH DATABASE '{dir}/stolen.db' AS x", "only a SELECT"),
        ("SELECT * FROM t; VACUUM INTO '{dir}/stolen.db'", "more than one statement"),
        ("SELECT * INTO stolen FROM t", "uses 'INTO'"),
    ],
)
def test_writing_queries_are_refused_even_with_trust(
    setup, backend_url: str, tmp_path: Path, capsys, query: str, message: str
) -> None:
    args, data, add = setup
    run = add("evil", f"sqlite:///{data}", query.format(dir=tmp_path))
    assert main([*run, "--trust"]) == 1
    assert message in capsys.readouterr().err
    assert not (tmp_path / "stolen.db").exists()
    assert _trusted(backend_url) == []


def test_the_workspace_database_is_never_a_source(setup, backend_url: str, capsys) -> None:
    args, _, add = setup
    url = backend_url if "://" in backend_url else f"sqlite:///{backend_url}"
    stacked = (
        "SELECT 1 AS y; INSERT INTO settings (key, value) "
        'VALUES (\'trusted_code\', \'[{"kind": "module", "ident": "os", "digest": ""}]\')'
    )
    run = add("stacked", url, stacked)
    assert main([*run, "--trust"]) == 1
    assert "more than one statement" in capsys.readouterr().err
    run = add("own", url, "SELECT * FROM projects")
    assert main([*run, "--trust"]) == 1
    assert "workspace's own database" in capsys.readouterr().err
    assert _trusted(backend_url) == []


def test_a_select_runs_once_trusted_and_a_changed_query_asks_again(
    setup, backend_url: str, tmp_path: Path, capsys
) -> None:
    args, data, add = setup
    run = add("ok", f"sqlite:///{data}", "SELECT * FROM t WHERE x < 30")
    assert main(run) == 1
    err = capsys.readouterr().err
    assert "not trusted" in err and f"reads the database sqlite:///{data}" in err
    assert "SELECT * FROM t WHERE x < 30" in err
    assert main([*run, "--trust"]) == 0
    assert "succeeded" in capsys.readouterr().out
    assert main(run) == 0  # remembered
    capsys.readouterr()
    run = add("changed", f"sqlite:///{data}", "SELECT * FROM t")
    assert main(run) == 1 and "not trusted" in capsys.readouterr().err


def test_the_workspace_database_under_another_name_is_refused(
    setup, backend_url: str, tmp_path: Path, capsys
) -> None:
    """Another spelling of the workspace's own database is still refused: on PostgreSQL the
    loopback address or the default port left out, on SQLite a hard link to the file or a
    linked folder."""
    from sqlalchemy.engine import make_url

    args, _, add = setup
    if "://" in backend_url:
        url = make_url(backend_url)
        aliases = [
            url.set(host="127.0.0.1").render_as_string(hide_password=False),
            url.set(port=None).render_as_string(hide_password=False),
        ]
    else:
        link = tmp_path / "alias.db"
        os.link(backend_url, link)
        folder = tmp_path / "folder_link"
        folder.symlink_to(Path(backend_url).parent)
        aliases = [f"sqlite:///{link}", f"sqlite:///{folder}/./{Path(backend_url).name}"]
    for i, alias in enumerate(aliases):
        run = add(f"alias{i}", alias, "SELECT * FROM projects")
        assert main([*run, "--trust"]) == 1, alias
        assert "workspace's own database" in capsys.readouterr().err
    assert _trusted(backend_url) == []
