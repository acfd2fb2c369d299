"""Which files the Terraform source reads, and paths as reports name them (relative to the scan
root, POSIX form).

Kept apart from ``scanner.sources.terraform`` (which re-exports them) so that finding the inputs
of a scan does not import the HCL parser and evaluator: a scan of charts and manifests never
needs them.
"""

from __future__ import annotations

import posixpath
from pathlib import Path

from scanner.guards.safe_io import safe_resolve

TF_SUFFIXES = (".tf", ".tf.json")
TFVARS_SUFFIXES = (".tfvars", ".tfvars.json")


def is_tf(path: Path) -> bool:
    """A Terraform configuration file."""
    return path.name.endswith(TF_SUFFIXES)


def is_tfvars(path: Path) -> bool:
    """A Terraform variable-definitions file."""
    return path.name.endswith(TFVARS_SUFFIXES)


def rel(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` in POSIX form (``..`` where it lies outside)."""
    try:
        return safe_resolve(path).relative_to(root).as_posix()
    except ValueError:
        return Path(posixpath.relpath(safe_resolve(path).as_posix(), root.as_posix())).as_posix()
