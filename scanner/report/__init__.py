"""Reporters: one module per output format, each ``render(result: ScanResult) -> str``.

The JSON module is ``json_report`` rather than ``json`` so that it can never shadow the
standard library's ``json`` (e.g. when a tool runs with this directory as its working directory).
Call ``render`` below rather than a module directly: it is where secrets are redacted.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from scanner.model import ScanResult
from scanner.report.redact import Redactor

# Module per format, imported only when used: a JSON run never pays for rich.
_MODULES = {"text": "text", "json": "json_report", "sarif": "sarif", "junit": "junit"}
# Pull-request formats: GitHub workflow-command annotations, a PR-comment summary, GitLab SAST.
_MODULES.update({"github": "github", "markdown": "markdown", "gitlab-sast": "gitlab_sast"})
# GitLab Code Quality: findings in the MR widget and diff on every tier (SAST needs Ultimate).
_MODULES["gitlab-codequality"] = "gitlab_codequality"
_MODULES["html"] = "html"  # self-contained HTML page (Jinja2, autoescaped)


class _Formats(dict):
    def __missing__(self, fmt: str) -> Callable[..., str]:
        if fmt not in _MODULES:
            raise KeyError(fmt)
        fn = import_module(f"scanner.report.{_MODULES[fmt]}").render
        self[fmt] = fn
        return fn

    def __contains__(self, fmt: object) -> bool:
        return fmt in _MODULES

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(_MODULES)

    def __len__(self) -> int:
        return len(_MODULES)


FORMATS: dict[str, Callable[..., str]] = _Formats()


def render(
    result: ScanResult,
    fmt: str,
    redactor: Redactor | None = None,
    *,
    color: bool = False,
    width: int = 100,
    compact: bool = False,
) -> str:
    """Render ``result`` in format ``fmt`` with every secret masked.

    The values of secret-like attributes of the scanned resources are masked in every finding
    and error message (reporters print no attribute values themselves). ``redactor`` holds
    further secrets (values the CLI learned elsewhere, e.g. from the environment); those are
    masked in the messages and in the whole final output. The found values are not applied to
    the whole output: a weak secret such as ``"true"`` would corrupt the JSON itself.
    ``color``, ``width`` and ``compact`` (no source lines) apply to the text format only.
    """
    try:
        renderer = FORMATS[fmt]
    except KeyError:
        raise ValueError(f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)}") from None
    secrets = Redactor.for_result(result)
    if redactor is not None:
        secrets.update(redactor)
    safe = secrets.scrub_result(result)
    if fmt == "text":
        output = renderer(safe, color=color, width=width, compact=compact)
    else:
        output = renderer(safe)
    if redactor is None:
        return output
    # Masks values, never the rules' own text: a weak secret such as "password" must not turn a
    # policy's static remediation (`key: password`) into `key: ***`. Messages, addresses and
    # errors were scrubbed with every secret above; the rules print no scanned value.
    fields = ("title", "rationale", "remediation", "message", "failure", "fix")
    rule_text = "\n".join(getattr(r, f) or "" for r in result.rules for f in fields)
    return redactor.without_text_of(rule_text).scrub(output)
