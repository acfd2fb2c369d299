"""Paths as CI systems want them: relative to the repository (SARIF ``%SRCROOT%``, GitHub
annotations, GitLab reports), not to the directory the scan happened to start in."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from scanner.model import ScanResult


def source_root_of(result: ScanResult) -> str:
    """The source root the CLI chose (``--source-root`` or the git root), else the scan root."""
    return result.metadata.get("source_root") or result.root


def rebaser(result: ScanResult) -> Callable[[str], str]:
    """Maps a scan-root-relative path (what findings hold) to a source-root-relative POSIX path."""
    source_root = result.metadata.get("source_root")
    if not source_root or Path(source_root).resolve() == Path(result.root).resolve():
        return lambda path: path
    base, root = Path(source_root).resolve(), Path(result.root)

    def rebase(path: str) -> str:
        return Path(os.path.relpath(root / path, base)).as_posix()

    return rebase
