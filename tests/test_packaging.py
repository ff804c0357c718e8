"""Packaging: the wheel installs and works outside the source tree; desktop metadata is valid.

The wheel test builds the wheel from a copy of the sources, installs it with ``--no-deps``
into a fresh virtual environment and lends that environment the test environment's
dependencies through a ``.pth`` file (no downloads). The checks then run from a temporary
folder, so neither the checkout nor the editable install can answer in the wheel's place.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import sysconfig
import venv
import zipfile
from importlib.metadata import version
from pathlib import Path
from xml.etree import ElementTree

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"
APP_ID = "io.github.mlops_desktop.MlopsDesktop"
DESKTOP_FILE = PACKAGING / f"{APP_ID}.desktop"
METAINFO_FILE = PACKAGING / f"{APP_ID}.metainfo.xml"


def _can_build_offline() -> bool:
    """setuptools builds wheels by itself from 70.1 on (before, it needs ``wheel``)."""
    try:
        major, minor = (int(x) for x in version("setuptools").split(".")[:2])
    except Exception:  # noqa: BLE001 - no setuptools at all
        return False
    return (major, minor) >= (70, 1) or importlib.util.find_spec("wheel") is not None


def _build_wheel(tmp_path: Path) -> Path:
    """Build the wheel from a copy of the sources (the checkout stays untouched)."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("mlops_desktop", "resources"):
        shutil.copytree(ROOT / name, src / name, ignore=ignore)
    out = tmp_path / "wheel"
    cmd = [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--skip-dependency-check"]
    done = subprocess.run(
        [*cmd, "--outdir", str(out), str(src)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    wheels = list(out.glob("mlops_desktop-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def _fresh_venv(tmp_path: Path, wheel: Path) -> tuple[Path, Path]:
    """A new venv with only the wheel installed; dependencies lent through a .pth file."""
    env_dir = tmp_path / "fresh"
    venv.EnvBuilder(with_pip=False, symlinks=os.name != "nt").create(env_dir)
    python = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet"]
    done = subprocess.run(
        [*pip, "--no-deps", "--no-index", str(wheel)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    site_packages = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    # A plain path line: the lent folder's own .pth files (the editable finder) are not run.
    lent = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    (site_packages / "zz_lent_dependencies.pth").write_text("\n".join(lent) + "\n")
    return env_dir, python


def _run(cmd: list[str], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, env=env, timeout=120)
    assert done.returncode == 0, f"{cmd}: {done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def built_wheel(tmp_path_factory) -> Path:
    if not _can_build_offline():
        pytest.skip("building offline needs setuptools >= 70.1 or the wheel package")
    return _build_wheel(tmp_path_factory.mktemp("build"))


@pytest.fixture(scope="module")
def installed_wheel(tmp_path_factory, built_wheel):
    tmp_path = tmp_path_factory.mktemp("packaging")
    wheel = built_wheel
    env_dir, python = _fresh_venv(tmp_path, wheel)
    work = tmp_path / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.update(
        HOME=str(work / "home"),
        XDG_DATA_HOME=str(work / "data"),
        XDG_CONFIG_HOME=str(work / "config"),
        QT_QPA_PLATFORM="offscreen",
        MLOPS_DESKTOP_WORKSPACE=str(work / "default.db"),
    )
    return wheel, env_dir, python, work, env


@pytest.mark.slow
def test_wheel_holds_resources_and_migrations(built_wheel):
    wheel = zipfile.ZipFile(built_wheel)
    names = set(wheel.namelist())
    migrations = {n for n in names if n.startswith("mlops_desktop/storage/migrations/versions/")}
    assert {Path(n).name for n in migrations} >= {
        p.name for p in (ROOT / "mlops_desktop/storage/migrations/versions").glob("*.py")
    }
    assert "mlops_desktop/storage/migrations/env.py" in names
    for folder in ("lifecycles", "maturity", "templates", "crosswalk", "report_templates"):
        shipped = {n for n in names if n.startswith(f"mlops_desktop_resources/{folder}/")}
        expected = {
            f"mlops_desktop_resources/{folder}/{p.name}"
            for p in (ROOT / "resources" / folder).iterdir()
            if p.is_file()
        }
        assert shipped >= expected, expected - shipped
    assert "mlops_desktop_resources/codegen/helpers.py" in names
    assert "mlops_desktop_resources/app_icon/mlops-desktop.svg" in names
    assert not [n for n in names if "__pycache__" in n or n.startswith("tests/")]
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    text = wheel.read(entry_points).decode()
    assert "[mlops_desktop.stages]" in text and "mlops-desktop = mlops_desktop.cli:main" in text


@pytest.mark.slow
def test_installed_wheel_runs_from_a_fresh_venv(installed_wheel):
    _wheel, env_dir, python, work, env = installed_wheel
    bindir = python.parent
    app = str(bindir / ("mlops-desktop.exe" if os.name == "nt" else "mlops-desktop"))

    # The package and its resources resolve inside the fresh venv, not the checkout.
    where = _run(
        [
            str(python),
            "-c",
            "import mlops_desktop, mlops_desktop_resources; "
            "print(mlops_desktop.__file__); print(mlops_desktop_resources.__file__)",
        ],
        work,
        env,
    ).split()
    for path in where:
        assert Path(path).resolve().is_relative_to(env_dir.resolve()), where

    assert (
        _run([app, "--version"], work, env).strip() == f"mlops-desktop {version('mlops-desktop')}"
    )

    lookup = "from mlops_desktop.core.resources import load_json; "
    lookup += "print(load_json('lifecycles', 'aws.json')['id'])"
    assert _run([str(python), "-c", lookup], work, env).strip() == "aws"

    # Built-in stages come through the entry point of the installed dist-info.
    count = _run([str(python), "-c", _registry_probe()], work, env).strip()
    assert int(count) >= 10, count

    # A workspace made by the migrations shipped in the wheel, then a template project.
    ws = work / "x.db"
    assert _run([app, "--workspace", str(ws), "project", "list"], work, env) is not None
    with sqlite3.connect(ws) as con:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        (revision,) = con.execute("SELECT version_num FROM alembic_version").fetchone()
    assert {"projects", "pipelines", "pipeline_versions", "runs"} <= tables
    heads = sorted((ROOT / "mlops_desktop/storage/migrations/versions").glob("[0-9]*.py"))
    assert revision in heads[-1].read_text()
    _run(
        [app, "--workspace", str(ws), "project", "create", "demo", "--template", "google"],
        work,
        env,
    )
    listed = json.loads(_run([app, "--workspace", str(ws), "project", "list", "--json"], work, env))
    assert [p["name"] for p in listed] == ["demo"]


def _registry_probe() -> str:
    """Python source that prints how many stage specs the entry points registered."""
    return (
        "from importlib.metadata import entry_points\n"
        "eps = entry_points(group='mlops_desktop.stages')\n"
        "specs = [s for ep in eps if ep.name == 'builtin' for s in ep.load()()]\n"
        "import mlops_desktop.stages as m, pathlib, sys\n"
        "assert pathlib.Path(m.__file__).resolve().is_relative_to(pathlib.Path(sys.prefix).resolve())\n"
        "print(len(specs))\n"
    )


@pytest.mark.skipif(
    shutil.which("desktop-file-validate") is None, reason="needs desktop-file-utils"
)
def test_desktop_file_is_valid():
    done = subprocess.run(
        ["desktop-file-validate", str(DESKTOP_FILE)], capture_output=True, text=True
    )
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr


@pytest.mark.skipif(shutil.which("appstreamcli") is None, reason="needs appstream")
def test_metainfo_is_valid():
    done = subprocess.run(
        ["appstreamcli", "validate", "--no-net", str(METAINFO_FILE)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_desktop_metadata_agrees_with_the_package():
    """The ids, the binary and the version named by the metadata are the package's."""
    entries = dict(
        line.split("=", 1) for line in DESKTOP_FILE.read_text().splitlines() if "=" in line
    )
    assert entries["Icon"] == APP_ID
    assert entries["Exec"].split()[0] == "mlops-desktop"
    root = ElementTree.parse(METAINFO_FILE).getroot()
    assert root.findtext("id") == APP_ID
    assert root.findtext("launchable") == DESKTOP_FILE.name
    assert root.findtext("provides/binary") == "mlops-desktop"
    releases = [r.get("version") for r in root.iter("release")]
    assert version("mlops-desktop") in releases
    sizes = sorted(
        int(p.stem.rsplit("-", 1)[1]) for p in (ROOT / "resources/app_icon").glob("*.png")
    )
    assert {16, 32, 48, 64, 128, 256} <= set(sizes)
    assert (ROOT / "resources/app_icon/mlops-desktop.svg").is_file()


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_build_scripts_parse_and_the_spec_compiles():
    for script in ("build.sh", "smoke_test.sh"):
        done = subprocess.run(
            ["bash", "-n", str(PACKAGING / script)], capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        assert os.access(PACKAGING / script, os.X_OK), f"{script} is not executable"
    spec = PACKAGING / "mlops-desktop.spec"
    compile(spec.read_text(), str(spec), "exec")  # PyInstaller executes it as Python
