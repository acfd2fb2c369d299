"""Package layout that pyproject.toml cannot express alone, and the build's git commit.

* The top-level ``policies/`` directory (the one source of the rules) is shipped inside the wheel
  as ``scanner.policies``.
* ``scanner/_commit.txt`` records the git commit the package was built from, so that
  ``ocisec --version`` can name it: written into the wheel's build tree when the source is a git
  checkout, and into the sdist, so that a wheel built from the sdist (as ``python -m build`` and
  pip do) keeps it. A build from a plain archive has no commit, and says none.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

HERE = Path(__file__).resolve().parent
COMMIT_FILE = Path("scanner") / "_commit.txt"


def _git(*args: str) -> str | None:
    try:
        proc = subprocess.run(["git", "-C", str(HERE), *args], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def git_commit() -> str | None:
    """``HEAD`` of the repository this file is the root of (``-dirty`` with uncommitted changes),
    else None: an unpacked sdist inside some other repository must not take that one's commit."""
    top = _git("rev-parse", "--show-toplevel")
    if top is None or Path(top).resolve() != HERE:
        return None
    commit = _git("rev-parse", "HEAD")
    if commit is None:
        return None
    dirty = _git("status", "--porcelain", "--untracked-files=no")
    return commit + ("-dirty" if dirty else "")


class BuildPyWithCommit(build_py):
    """build_py that writes the commit into the build tree (the sdist's copy is package data)."""

    def run(self) -> None:
        super().run()
        commit = git_commit()
        if commit is not None and not self.dry_run:
            target = Path(self.build_lib) / COMMIT_FILE
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(commit + "\n", encoding="utf-8")


class SdistWithCommit(sdist):
    """sdist that carries the commit, so a wheel built from it still knows it."""

    def make_release_tree(self, base_dir: str, files: list[str]) -> None:
        super().make_release_tree(base_dir, files)
        commit = git_commit()
        if commit is not None:
            target = Path(base_dir) / COMMIT_FILE
            if target.exists():
                target.unlink()  # a hard link to the source tree's file: never write through it
            target.write_text(commit + "\n", encoding="utf-8")


setup(
    packages=[*find_packages(include=["scanner", "scanner.*"]), "scanner.policies"],
    package_dir={"scanner.policies": "policies"},
    cmdclass={"build_py": BuildPyWithCommit, "sdist": SdistWithCommit},
)
