"""What ``ocisec --version`` prints: the version, and the git commit the package was built from
when it is known (a bug report then names the exact code, even between releases)."""

from __future__ import annotations

import subprocess
from importlib import resources
from pathlib import Path

from scanner import __version__

COMMIT_FILE = "_commit.txt"  # written by setup.py into the wheel and the sdist


def build_commit() -> str | None:
    """The commit recorded at build time, else that of the git checkout the code runs from
    (tests, ``python -m scanner.cli``), else None (built from a plain archive)."""
    try:
        recorded = (resources.files("scanner") / COMMIT_FILE).read_text(encoding="utf-8").strip()
    except (OSError, ValueError):
        recorded = ""
    if recorded:
        return recorded
    root = Path(__file__).resolve().parents[2]
    if not (root / ".git").exists():  # a directory, or a file in a git worktree
        return None
    try:
        proc = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout.strip() or None if proc.returncode == 0 else None


def version_line() -> str:
    """``ocisec 0.1.0 (commit 1a2b3c4d5e6f)``, or ``ocisec 0.1.0`` when the commit is unknown."""
    commit = build_commit()
    if not commit:
        return f"ocisec {__version__}"
    short, _, dirty = commit.partition("-")
    return f"ocisec {__version__} (commit {short[:12]}{'-' + dirty if dirty else ''})"
