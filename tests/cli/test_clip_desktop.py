"""`strongroom get --clip` on a desktop's own clipboard: X's (a real Xvfb server, read back with
``xclip -o``) and Wayland's (a headless sway, read back with ``wl-paste``). The copy is there at
once, a shell's ``$(...)`` is not kept waiting by the tool that holds it, the clearer removes it
after clipboard_clear_seconds, and leaves alone what the person copied since."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.config import Settings
from app.core.items import ItemDraft
from tests.command_line import strongroom
from tests.pilot import seed
from tests.terminal import wait_until

CLEAR = {"clipboard_clear_seconds": 5}


@pytest.fixture
def x_display(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A real X server of the test's own (Xvfb), as DISPLAY."""
    if not shutil.which("Xvfb") or not Path("/usr/bin/xclip").exists():
        if os.environ.get("CI"):
            pytest.fail("Xvfb and xclip are needed (scripts/setup installs them)")
        pytest.skip("Xvfb or xclip missing")
    read, write = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-nolisten", "tcp", "-screen", "0", "640x480x24"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    number = b""
    while not number.endswith(b"\n"):
        chunk = os.read(read, 16)
        if not chunk:
            break
        number += chunk
    os.close(read)
    try:
        assert number.strip(), "Xvfb did not start"
        yield {"DISPLAY": f":{number.decode().strip()}", "HOME": str(tmp_path)}
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def wayland_display(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """A headless Wayland compositor of the test's own (sway), as WAYLAND_DISPLAY. sway will
    not run as root: as root, it runs as a second user, whose socket root may still use."""
    if not shutil.which("sway") or not Path("/usr/bin/wl-copy").exists():
        if os.environ.get("CI"):
            pytest.fail("sway and wl-clipboard are needed (scripts/setup installs them)")
        pytest.skip("sway or wl-clipboard missing")
    # Not under tmp_path: the second user could not reach it through pytest's own folder.
    runtime = Path(tempfile.mkdtemp(prefix="strongroom-wayland-"))
    command = [str(shutil.which("sway")), "-c", "/dev/null"]
    if os.geteuid() == 0:
        user = request.getfixturevalue("other_user")
        shutil.chown(runtime, user)
        command = [str(shutil.which("runuser")), "-u", user, "--", *command]
    environment = {
        "PATH": "/usr/bin:/bin",
        "XDG_RUNTIME_DIR": str(runtime),
        "WLR_BACKENDS": "headless",
        "WLR_LIBINPUT_NO_DEVICES": "1",
        "WLR_RENDERER": "pixman",
    }
    server = subprocess.Popen(
        command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_until(lambda: (runtime / "wayland-1").exists(), "sway's socket")
        yield {"WAYLAND_DISPLAY": str(runtime / "wayland-1"), "HOME": str(tmp_path)}
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(runtime, ignore_errors=True)


def wayland_clipboard(env: dict[str, str]) -> str:
    done = subprocess.run(
        ["/usr/bin/wl-paste", "--no-newline"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", **env},
        timeout=10,
    )
    return done.stdout


def x_clipboard(env: dict[str, str]) -> str:
    done = subprocess.run(
        ["/usr/bin/xclip", "-selection", "clipboard", "-out"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", **env},
        timeout=10,
    )
    return done.stdout


def test_get_clip_copies_to_x_and_clears_it(
    sqlite_settings: Settings, x_display: dict[str, str]
) -> None:
    settings = sqlite_settings
    seed(settings, ItemDraft("GitHub", "alice", "gh-secret"))
    started = time.monotonic()
    done = strongroom(settings, "get", "GitHub", "--clip", env=x_display, security=CLEAR)
    # capture_output waits for every holder of the command's output to close it: an xclip
    # left holding the pipes would keep this (and a shell's $(...)) waiting.
    assert time.monotonic() - started < 5
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert "Copied the password of 'GitHub' to the clipboard" in done.stderr
    assert x_clipboard(x_display) == "gh-secret"
    wait_until(lambda: x_clipboard(x_display) != "gh-secret", "the clipboard cleared")
    assert time.monotonic() - started >= 4.5
    assert x_clipboard(x_display) == ""


def test_what_was_copied_since_is_left_alone(
    sqlite_settings: Settings, x_display: dict[str, str]
) -> None:
    settings = sqlite_settings
    seed(settings, ItemDraft("GitHub", "alice", "gh-secret"))
    done = strongroom(settings, "get", "GitHub", "--clip", env=x_display, security=CLEAR)
    assert done.returncode == 0, done.stderr
    assert x_clipboard(x_display) == "gh-secret"
    subprocess.run(
        ["/usr/bin/xclip", "-selection", "clipboard", "-in"],
        input="a note of my own",
        text=True,
        env={"PATH": "/usr/bin:/bin", **x_display},
        check=True,
        timeout=10,
    )
    time.sleep(8)  # past the clearing time: nothing to wait for, the clearer must do nothing
    assert x_clipboard(x_display) == "a note of my own"


def test_get_clip_copies_to_wayland_and_clears_it(
    sqlite_settings: Settings, wayland_display: dict[str, str]
) -> None:
    settings = sqlite_settings
    seed(settings, ItemDraft("GitHub", "alice", "gh-secret"))
    started = time.monotonic()
    done = strongroom(settings, "get", "GitHub", "--clip", env=wayland_display, security=CLEAR)
    assert time.monotonic() - started < 5  # wl-copy, which stays to serve it, holds no pipe
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert wayland_clipboard(wayland_display) == "gh-secret"
    wait_until(lambda: wayland_clipboard(wayland_display) != "gh-secret", "the clipboard cleared")
    assert time.monotonic() - started >= 4.5
    assert wayland_clipboard(wayland_display) == ""
