"""Reporters: one module per output format, each ``render(result: ScanResult) -> str``.

The JSON module is ``json_report`` rather than ``json`` so that it can never shadow the
standard library's ``json`` (e.g. when a tool runs with this directory as its working directory).
Call ``render`` below rather than a module directly: it is where secrets are redacted.
"""

from __future__ import annotations

from collections.abc import Callable

from scanner.engine.rule import ScanResult
from scanner.report import json_report, junit, sarif, text
from scanner.report.redact import Redactor

FORMATS: dict[str, Callable[[ScanResult], str]] = {
    "text": text.render,
    "json": json_report.render,
    "sarif": sarif.render,
    "junit": junit.render,
}


def render(
    result: ScanResult,
    fmt: str,
    redactor: Redactor | None = None,
    *,
    color: bool = False,
    width: int = 100,
) -> str:
    """Render ``result`` in format ``fmt`` with every secret masked.

    The values of secret-like attributes of the scanned resources are masked in every finding
    and error message (reporters print no attribute values themselves). ``redactor`` holds
    further secrets (values the CLI learned elsewhere, e.g. from the environment); those are
    masked in the messages and in the whole final output. The found values are not applied to
    the whole output: a weak secret such as ``"true"`` would corrupt the JSON itself.
    ``color`` and ``width`` apply to the text format only.
    """
    try:
        renderer = FORMATS[fmt]
    except KeyError:
        raise ValueError(f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)}") from None
    secrets = Redactor.for_result(result)
    if redactor is not None:
        secrets.update(redactor)
    safe = secrets.scrub_result(result)
    output = text.render(safe, color=color, width=width) if fmt == "text" else renderer(safe)
    return redactor.scrub(output) if redactor is not None else output
