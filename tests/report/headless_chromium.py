"""Drive Debian's headless Chromium for the HTML report tests (installed by .ci/setup).

Locally, without Chromium, the browser tests skip with a message; under CI=true they fail, so a
CI run can never pass without having rendered the report.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path

import pytest

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT = 90  # seconds; a cold start on a busy 2-core CI machine takes a few


def chromium() -> str:
    """Path of a Chromium binary, or skip (fail under CI) when there is none."""
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    message = (
        "no chromium on PATH: run `bash .ci/setup` as root (apt-get install chromium) to run browser tests"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory(prefix="ocisec-chromium-") as profile:
        cmd = [
            chromium(),
            "--headless",
            "--no-sandbox",  # CI containers run as root, where the sandbox cannot start
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            f"--user-data-dir={profile}",
            *args,
        ]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT, check=False)


def dump_dom(page: Path) -> str:
    """The DOM after the page loaded (and after any script would have run), serialized."""
    done = _run("--dump-dom", page.resolve().as_uri())
    assert done.returncode == 0 and done.stdout.strip(), done.stderr[-2000:]
    return done.stdout


def screenshot(page: Path, out: Path, width: int = 1280, height: int = 1600) -> bytes:
    """A PNG screenshot of the page's first ``width`` x ``height`` pixels."""
    done = _run(
        f"--screenshot={out}", f"--window-size={width},{height}", "--hide-scrollbars", page.resolve().as_uri()
    )
    assert done.returncode == 0 and out.is_file(), done.stderr[-2000:]
    return out.read_bytes()


def png_size_and_pixels(data: bytes) -> tuple[int, int, bytes]:
    """Width, height and the decompressed scanlines of a PNG (enough to tell a blank page)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, width, height, idat = 8, 0, 0, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    return width, height, zlib.decompress(idat)
