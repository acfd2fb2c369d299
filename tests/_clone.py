"""What a fresh clone of this repository holds, for tests that install or run it from elsewhere."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "ocisec tests",
    "GIT_AUTHOR_EMAIL": "tests@ocisec.invalid",
    "GIT_COMMITTER_NAME": "ocisec tests",
    "GIT_COMMITTER_EMAIL": "tests@ocisec.invalid",
}


def clone_files(dest: Path) -> Path:
    """Copy the files git would put in a fresh clone (tracked, plus new files not ignored, so
    uncommitted work is tested too) into ``dest``; nothing ignored (``.venv``, ``build/``) and
    nothing beside the repository comes along. Returns ``dest``."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.decode().split("\0")
    for rel in filter(None, listed):
        src = ROOT / rel
        if src.is_file():  # a file deleted in the work tree but not yet in the index
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    return dest


def git(*args: str, cwd: Path) -> str:
    """Run git in ``cwd`` with a fixed identity; returns stdout."""
    env = {**os.environ, **GIT_IDENTITY}
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True, env=env).stdout


def committed_copy(dest: Path) -> Path:
    """``clone_files`` into ``dest`` as a git repository with one commit (what pre-commit needs)."""
    clone_files(dest)
    git("init", "-q", cwd=dest)
    git("add", "-A", cwd=dest)
    git("commit", "-q", "-m", "snapshot", cwd=dest)
    return dest
