"""``mlops-desktop report`` on a project with an imported cloud pipeline: the report renders
it like a native one, names where it comes from, and claims nothing that only running it
could show."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from mlops_desktop.cli import main

FIXTURES = Path(__file__).parents[1] / "fixtures" / "cloud"


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def text_of(path: Path) -> str:
    raw = path.read_text()
    raw = re.sub(r"<style.*?</style>", " ", raw, flags=re.S)
    raw = re.sub(r"<[^>]+>", " ", raw)
    return re.sub(r"\s+", " ", html.unescape(raw))


@pytest.fixture
def ws(tmp_path: Path, capsys) -> list[str]:
    args = ["--workspace", str(tmp_path / "w.db")]
    assert run_cli(capsys, *args, "project", "create", "demo")[0] == 0
    return args


def test_report_of_an_imported_pipeline_names_its_origin_and_claims_no_run(
    capsys, ws, tmp_path
) -> None:
    source = FIXTURES / "sagemaker" / "abalone.json"
    assert run_cli(capsys, *ws, "pipeline", "import", "demo", str(source))[0] == 0
    out_file = tmp_path / "report.html"
    code, _, err = run_cli(capsys, *ws, "report", "demo", "-o", str(out_file), "--lens", "aws")
    assert code == 0, err
    text = text_of(out_file)
    # the imported pipeline is the one reported (the blank template's is empty and older)
    assert "abalone , last edited" in text or "abalone, last edited" in text
    assert "Imported from abalone.json (Amazon SageMaker pipeline definition, SHA-256" in text
    assert "Its steps run in AWS, not in this app" in text
    # its steps are listed in their AWS phases like native stages, with the picture
    assert re.search(r"AbaloneTrain External step Model development", text)
    assert re.search(r"AbaloneRegisterModel External step \S+ \S+", text)
    assert 'alt="Diagram of abalone"' in out_file.read_text()
    # nothing ran: no run, result, registered model or trigger firing is claimed
    assert "The pipeline has not run yet" in text
    assert "Not in this report: Runs" in text
    for claim in ("Latest run", "succeeded", "registered version", "Run #"):
        assert claim not in text
    # the definition's condition and schedule are not behaviour: the levels stay at the bottom
    assert "Google: Level 0" in text and "AWS: Initial" in text
    assert "ML Test Score: 0 points" in text


def test_report_of_a_local_copy_names_the_imported_pipeline(capsys, ws, tmp_path) -> None:
    run_cli(capsys, *ws, "pipeline", "import", "demo", str(FIXTURES / "sagemaker" / "abalone.json"))
    assert run_cli(capsys, *ws, "pipeline", "local-copy", "demo", "--pipeline", "abalone")[0] == 0
    out_file = tmp_path / "copy.html"
    assert run_cli(capsys, *ws, "report", "demo", "-o", str(out_file))[0] == 0
    text = text_of(out_file)
    assert "Local copy of the imported pipeline 'abalone' (version 1, from abalone.json)" in text
    assert "Not mapped from the original: AbaloneMSEFail" in text
