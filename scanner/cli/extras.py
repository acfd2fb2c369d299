"""Optional parts of the install, and what to say when one is missing.

``oci`` (the SDK, about 500 MB with its dependencies) serves only live collection, so it is the
``audit`` extra: ``pip install "ocisec[audit]"``. Everything else, offline replays of snapshots
included, works with the base install.
"""

from __future__ import annotations

import importlib.util

import typer

from scanner.cli.common import EXIT_INPUT_ERROR

AUDIT_EXTRA_MISSING = (
    "ocisec audit: the oci SDK is not installed; live audits need the audit extra: "
    'pip install "ocisec[audit]" (or: pipx install "ocisec[audit]"). '
    "Re-auditing a snapshot (--from-snapshot FILE) works without it."
)


def has_oci_sdk() -> bool:
    """Whether the ``oci`` SDK can be imported (without importing it: that takes a second)."""
    try:
        return importlib.util.find_spec("oci") is not None
    except (ImportError, ValueError):  # a broken or stubbed-out package counts as missing
        return False


def require_oci_sdk() -> None:
    """Exit 2 with the install command when the ``audit`` extra is missing."""
    if not has_oci_sdk():
        typer.echo(AUDIT_EXTRA_MISSING, err=True)
        raise typer.Exit(EXIT_INPUT_ERROR)
