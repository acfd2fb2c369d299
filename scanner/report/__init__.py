"""Reporters: one module per output format, each ``render(result: ScanResult) -> str``.

The JSON module is ``json_report`` rather than ``json`` so that it can never shadow the
standard library's ``json`` (e.g. when a tool runs with this directory as its working directory).
Call ``render`` below rather than a module directly: it is where secrets are redacted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any

from scanner.guards.safe_text import defuse
from scanner.model import ScanResult
from scanner.report.redact import Redactor

# Module per format, imported only when used: a JSON run never pays for rich.
_MODULES = {"text": "text", "json": "json_report", "sarif": "sarif", "junit": "junit"}
# Pull-request formats: GitHub workflow-command annotations, a PR-comment summary, GitLab SAST.
_MODULES.update({"github": "github", "markdown": "markdown", "gitlab-sast": "gitlab_sast"})
# GitLab Code Quality: findings in the MR widget and diff on every tier (SAST needs Ultimate).
_MODULES["gitlab-codequality"] = "gitlab_codequality"
_MODULES["html"] = "html"  # self-contained HTML page (Jinja2, autoescaped)
# The syntax of each format's output, for ``defuse``: how a ":" or "#" is escaped there so that
# the report still reads back as written. The github format writes workflow commands on purpose
# (its values are escaped as the Actions toolkit does), so it is not defused.
SYNTAX = {"text": "text", "markdown": "text", "json": "json", "sarif": "json", "gitlab-sast": "json"}
SYNTAX.update({"junit": "xml", "html": "html", "gitlab-codequality": "json"})


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

    Every name, path and message is one line with control characters shown as ``\\uXXXX``,
    and no line of the output can be read as a CI runner's command (``defuse``) except the
    github format's own annotations.
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
    if redactor is not None:
        # Masks values, never the rules' own text: a weak secret such as "password" must not
        # turn a policy's static remediation (`key: password`) into `key: ***`. Messages,
        # addresses and errors were scrubbed with every secret above; the rules print no value.
        fields = ("title", "rationale", "remediation", "message", "failure", "fix")
        rule_text = "\n".join(getattr(r, f) or "" for r in result.rules for f in fields)
        output = redactor.without_text_of(rule_text).scrub(output)
    # Last: no line a CI runner reads as a command (names were made one line each above; a
    # path or message may still begin a line with "::" or hold "##[").
    return defuse(output, SYNTAX[fmt]) if fmt in SYNTAX else output


def render_as(
    renderers: Mapping[str, Callable[[Any], str]],
    subject: Any,
    fmt: str,
    what: str,
    redactor: Redactor | None,
) -> str:
    """The one dispatch of the comparison reports (``diff``, ``parity``): ``renderers[fmt]`` applied
    to ``subject``, the output scrubbed with ``redactor``, then defused as scan reports are, so no
    line can be read as a CI runner's command (the github format writes its own, escaped)."""
    if fmt not in renderers:
        raise ValueError(f"unknown {what} format {fmt!r}; choose one of {', '.join(renderers)}")
    output = renderers[fmt](subject)
    output = redactor.scrub(output) if redactor is not None else output
    return defuse(output, SYNTAX[fmt]) if fmt in SYNTAX else output
