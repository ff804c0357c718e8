"""The first-run sample project, run for real, then every trick of the adversarial suite:
no model's level (nor the ML Test Score, nor the crosswalk) rises, and the criterion each
trick aims at stays unmet. The sample is what a new user sees first."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_desktop.app.assessment import AssessmentService
from mlops_desktop.app.workspace import Workspace
from mlops_desktop.cli import main
from mlops_desktop.core.maturity import assess
from mlops_desktop.core.maturity.facts import ProjectFacts
from tests.core.test_cannot_game import TRICKS, _unmet, scores

SAMPLE = "Sample: breast cancer"  # the project the window creates on a first opening


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> ProjectFacts:  # noqa: ANN001
    folder: Path = tmp_path_factory.mktemp("sample")
    ws = ["--workspace", str(folder / "ws.db")]
    assert main([*ws, "project", "create", SAMPLE, "--template", "google"]) == 0
    assert main([*ws, "run", SAMPLE]) == 0
    with Workspace.open(ws[1]) as w:
        return AssessmentService(w).facts(SAMPLE)


@pytest.mark.slow
@pytest.mark.parametrize("trick", list(TRICKS), ids=list(TRICKS))
def test_no_trick_raises_the_sample_projects_level(sample: ProjectFacts, trick: str) -> None:
    fn, targets = TRICKS[trick]
    assert sample.runs, "the sample ran"
    before, after = assess(fn(sample, False)), assess(fn(sample, True))
    s0, s1 = scores(before), scores(after)
    for model, value in s1.items():
        assert value <= s0[model], f"{trick} raised {model} from {s0[model]} to {value}"
    for key in targets:
        if _unmet(before, key):
            assert _unmet(after, key), f"{trick} met {key} on the sample"
