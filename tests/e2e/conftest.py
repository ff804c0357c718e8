"""A virtual desktop for end-to-end tests: Xvfb on a free display, real input through xdotool,
screenshots, and the app's geometry probe (``MLOPS_DESKTOP_E2E_GEOMETRY_FILE``).

The ``desktop`` fixture starts Xvfb (``-displayfd`` picks a free display, so parallel runs on
a shared machine do not collide) and always stops it, with any app it started, at the end.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

SCREEN = (1600, 1000)
OUTPUT = Path(__file__).resolve().parents[2] / "test-output" / "e2e"
PROBE_ENV = "MLOPS_DESKTOP_E2E_GEOMETRY_FILE"
Point = tuple[int, int]
GRAB_SCREEN = (
    "import sys\n"
    "from PySide6.QtGui import QGuiApplication\n"
    "app = QGuiApplication([])\n"
    "ok = app.primaryScreen().grabWindow(0).save(sys.argv[1])\n"
    "sys.exit(0 if ok else 1)\n"
)


def missing_tools() -> list[str]:
    """The programs the end-to-end tests need that are not installed."""
    return [tool for tool in ("Xvfb", "xdotool") if shutil.which(tool) is None]


def app_command() -> list[str]:
    """The installed ``mlops-desktop`` command (the one beside this Python first)."""
    beside = Path(sys.executable).with_name("mlops-desktop")
    if beside.is_file():
        return [str(beside)]
    found = shutil.which("mlops-desktop")
    if found is None:
        pytest.skip("the mlops-desktop command is not installed")
    return [found]


def centre(rect: list[int]) -> Point:
    x, y, w, h = rect
    return x + w // 2, y + h // 2


class Desktop:
    """One Xvfb display and the real mouse and keyboard on it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.shots = 0
        self.failed_shots: list[str] = []
        self.timings: dict[str, float] = {}
        self.xvfb: subprocess.Popen[bytes] | None = None
        self.app: subprocess.Popen[bytes] | None = None
        self.app_log = root / "app.log"
        self.probe_file = root / "geometry.json"
        self.display = ""

    # ------------------------------------------------------------- processes
    def start_xvfb(self) -> None:
        read, write = os.pipe()
        try:
            self.xvfb = subprocess.Popen(
                [
                    "Xvfb",
                    "-displayfd",
                    str(write),
                    "-screen",
                    "0",
                    f"{SCREEN[0]}x{SCREEN[1]}x24",
                    "-nolisten",
                    "tcp",
                ],
                pass_fds=(write,),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            os.close(write)
            write = -1
            number = b""
            deadline = time.monotonic() + 15
            while not number.endswith(b"\n") and time.monotonic() < deadline:
                chunk = os.read(read, 16)
                if not chunk:
                    break
                number += chunk
        finally:
            os.close(read)
            if write >= 0:
                os.close(write)
        if not number.strip().isdigit():
            pytest.fail(f"Xvfb did not report its display (got {number!r})")
        self.display = f":{number.strip().decode()}"

    def app_env(self) -> dict[str, str]:
        """The environment of a person's first start: an empty home, the real X display."""
        home = self.root / "home"
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("QT_", "MLOPS_DESKTOP_", "XDG_", "WAYLAND_"))
        }
        for name in ("config", "data", "cache", "runtime"):
            (home / name).mkdir(parents=True, exist_ok=True)
        (home / "runtime").chmod(0o700)
        env.update(
            HOME=str(home),
            XDG_CONFIG_HOME=str(home / "config"),
            XDG_DATA_HOME=str(home / "data"),
            XDG_CACHE_HOME=str(home / "cache"),
            XDG_RUNTIME_DIR=str(home / "runtime"),
            DISPLAY=self.display,
            QT_QPA_PLATFORM="xcb",
            MLOPS_DESKTOP_NO_TRIGGERS="1",
        )
        env[PROBE_ENV] = str(self.probe_file)
        return env

    def start_app(self, *args: str) -> None:
        with self.app_log.open("wb") as log:
            self.app = subprocess.Popen(
                [*app_command(), *args],
                env=self.app_env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def app_output(self, tail: int = 3000) -> str:
        try:
            return self.app_log.read_text(encoding="utf-8", errors="replace")[-tail:]
        except FileNotFoundError:
            return ""

    def stop(self) -> None:
        """Stop the app (if still running) and Xvfb; never leaves either behind."""
        for proc in (self.app, self.xvfb):
            if proc is None or proc.poll() is not None:
                continue
            try:
                if proc is self.app:
                    os.killpg(proc.pid, signal.SIGTERM)
                else:
                    proc.terminate()
                proc.wait(timeout=10)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                try:
                    if proc is self.app:
                        os.killpg(proc.pid, signal.SIGKILL)
                    else:
                        proc.kill()
                except ProcessLookupError:
                    pass
                proc.wait(timeout=10)

    centre = staticmethod(centre)

    # ------------------------------------------------------------------ input
    def xdotool(self, *args: object, timeout: float = 15) -> str:
        done = subprocess.run(
            ["xdotool", *map(str, args)],
            env={**os.environ, "DISPLAY": self.display},
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise AssertionError(f"xdotool {' '.join(map(str, args))} failed: {done.stderr}")
        return done.stdout

    def move(self, point: Point) -> None:
        self.xdotool("mousemove", point[0], point[1])

    def click(self, point: Point) -> None:
        self.move(point)
        time.sleep(0.15)
        self.xdotool("click", 1)

    def drag(self, start: Point, end: Point, steps: int = 25) -> None:
        """Press at ``start``, move in small steps to ``end`` and release, like a hand."""
        self.move(start)
        time.sleep(0.2)
        self.xdotool("mousedown", 1)
        time.sleep(0.15)
        for i in range(1, steps + 1):
            x = round(start[0] + (end[0] - start[0]) * i / steps)
            y = round(start[1] + (end[1] - start[1]) * i / steps)
            self.xdotool("mousemove", x, y)
            time.sleep(0.03)
        time.sleep(0.25)
        self.xdotool("mouseup", 1)

    def key(self, *keys: str) -> None:
        self.xdotool("key", "--delay", 60, *keys)

    def type(self, text: str) -> None:
        self.xdotool("type", "--delay", 25, text)

    def focus(self, title_regex: str, timeout: float = 10) -> None:
        """Give the keyboard to the visible window whose title matches (no window manager
        runs on Xvfb to do it on click)."""
        deadline = time.monotonic() + timeout
        while True:
            done = subprocess.run(
                ["xdotool", "search", "--onlyvisible", "--name", title_regex],
                env={**os.environ, "DISPLAY": self.display},
                capture_output=True,
                text=True,
                timeout=10,
            )
            ids = done.stdout.split()
            if ids:
                self.xdotool("windowfocus", "--sync", ids[-1])
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"no visible window titled {title_regex!r}")
            time.sleep(0.1)

    # ---------------------------------------------------------- screenshots
    def screenshot(self, name: str) -> Path:
        """Save the whole screen as test-output/e2e/NN-name.png: with ImageMagick's
        ``import`` when installed, else with a small Qt program on the same display."""
        self.shots += 1
        OUTPUT.mkdir(parents=True, exist_ok=True)
        path = OUTPUT / f"{self.shots:02d}-{re.sub(r'[^a-z0-9]+', '-', name.lower())}.png"
        if shutil.which("import") is not None:
            command = ["import", "-window", "root", str(path)]
        else:
            command = [sys.executable, "-c", GRAB_SCREEN, str(path)]
        env = {**self.app_env(), "QT_QPA_PLATFORM": "xcb"}
        env.pop(PROBE_ENV)
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
        if done.returncode != 0 or not path.is_file():
            self.failed_shots.append(f"{path.name}: {done.stderr.strip()[-300:]}")
        return path

    # ---------------------------------------------------------------- probe
    def snapshot(self) -> dict[str, Any] | None:
        try:
            return json.loads(self.probe_file.read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def wait_for(
        self,
        what: str,
        check: Callable[[dict[str, Any]], Any],
        timeout: float = 20,
        after_seq: int = -1,
    ) -> dict[str, Any]:
        """The first probe snapshot (newer than ``after_seq``) for which ``check`` is true."""
        deadline = time.monotonic() + timeout
        last: dict[str, Any] | None = None
        while time.monotonic() < deadline:
            if self.app is not None and self.app.poll() is not None:
                pytest.fail(
                    f"the app exited ({self.app.returncode}) while waiting for {what}:\n"
                    + self.app_output()
                )
            snap = self.snapshot()
            if snap is not None and snap.get("seq", 0) > after_seq:
                last = snap
                try:
                    if check(snap):
                        return snap
                except (KeyError, TypeError, IndexError, StopIteration):
                    pass
            time.sleep(0.1)
        self.screenshot(f"timeout {what}")
        shown = json.dumps(last, indent=1)[:2500] if last else "no snapshot"
        pytest.fail(f"timed out after {timeout} s waiting for {what}; last snapshot:\n{shown}")

    def settled(self) -> dict[str, Any]:
        """A snapshot written two probe ticks after now, so geometry reflects what is shown."""
        now = self.snapshot()
        seq = now["seq"] if now else -1
        return self.wait_for("a fresh snapshot", lambda s: True, after_seq=seq + 1)

    def step(self, name: str, started: float) -> None:
        self.timings[name] = round(time.monotonic() - started, 2)


@pytest.fixture
def desktop(tmp_path: Path) -> Iterator[Desktop]:
    missing = missing_tools()
    if missing:
        pytest.skip(f"end-to-end tests need {' and '.join(missing)} (Debian: xvfb, xdotool)")
    for old in OUTPUT.glob("*.png"):  # this run's pictures only
        old.unlink(missing_ok=True)
    desk = Desktop(tmp_path)
    try:
        desk.start_xvfb()
        yield desk
    finally:
        desk.stop()
        OUTPUT.mkdir(parents=True, exist_ok=True)
        if desk.app_log.is_file():
            shutil.copyfile(desk.app_log, OUTPUT / "app.log")
        if desk.timings:
            (OUTPUT / "timings.json").write_text(json.dumps(desk.timings, indent=1) + "\n")
