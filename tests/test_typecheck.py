"""mypy (configured in pyproject.toml: strict signatures outside qt/, qt checked) finds no
error anywhere in the ``mlops_desktop`` package.

Run alone with ``python tests/test_typecheck.py`` (CI does, before the suite).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "mlops_desktop"


def targets() -> list[str]:
    """The whole package: every module, so none can regress."""
    return [str(PACKAGE)]


def run_mypy() -> tuple[str, int]:
    from mypy import api

    # Imported modules outside the package are read for their types but not reported on.
    out, err, status = api.run(
        ["--config-file", str(ROOT / "pyproject.toml"), "--follow-imports=silent", *targets()]
    )
    return out + err, status


@pytest.mark.slow
def test_the_package_type_checks_clean() -> None:
    pytest.importorskip("mypy")
    report, status = run_mypy()
    assert status == 0, report


if __name__ == "__main__":
    text, code = run_mypy()
    print(text, end="")
    sys.exit(code)
