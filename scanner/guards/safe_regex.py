"""Regular expressions with RE2 semantics: matching time linear in the input, whatever the
pattern (no catastrophic backtracking), as Terraform's own ``regex()`` does.

Used by Terraform ``regex`` / ``regexall`` and by the policy operators ``matches`` /
``not_matches``. Patterns come from untrusted input, so Python's backtracking ``re`` is never
used for them.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import re2

# Memory RE2 may use for one compiled pattern: a pattern needing more is refused.
MAX_PROGRAM_BYTES = 8 << 20


class RegexError(ValueError):
    """A pattern RE2 does not accept (backreferences, lookaround...) or that is too large."""


@lru_cache(maxsize=1024)
def compile_re2(pattern: str) -> Any:
    """A compiled RE2 pattern; raises ``RegexError`` with RE2's reason."""
    options = re2.Options()
    options.log_errors = False  # RE2 would print to stderr; the caller reports the error
    options.max_mem = MAX_PROGRAM_BYTES
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise RegexError(str(reason)) from None
    except (TypeError, ValueError) as exc:
        raise RegexError(str(exc)) from None


# Seconds one policy match may take with a pattern RE2 cannot run (lookaround).
BACKTRACKING_TIMEOUT = 0.25


class _Bounded:
    """A pattern RE2 rejects (the bundled rules use lookahead), run by the ``regex`` engine
    with a time limit per match, so a backtracking pattern cannot hang the scan."""

    def __init__(self, compiled: Any) -> None:
        self._compiled = compiled

    def search(self, text: str) -> Any:
        try:
            return self._compiled.search(text, timeout=BACKTRACKING_TIMEOUT)
        except TimeoutError:
            raise RegexError(
                f"matching took longer than {BACKTRACKING_TIMEOUT}s (catastrophic backtracking)"
            ) from None


@lru_cache(maxsize=1024)
def compile_policy(pattern: str) -> Any:
    """A pattern for policy ``matches``: RE2 when RE2 accepts it (linear time), else the
    ``regex`` engine under a per-match time limit. Raises ``RegexError`` when neither accepts it."""
    try:
        return compile_re2(pattern)
    except RegexError as re2_error:
        import regex

        try:
            return _Bounded(regex.compile(pattern, regex.VERSION0))
        except (regex.error, ValueError, TypeError):
            raise re2_error from None


class _BoundedRe:
    """Stands in for the ``re`` module inside jsonschema: ``search`` runs the pattern as policy
    ``matches`` does (RE2, else the ``regex`` engine with a time limit per match), everything
    else is ``re``'s. Schema patterns (``pattern``, ``patternProperties``, and the
    ``additionalProperties`` / ``unevaluatedProperties`` checks that consult them) come from
    the scanned input (a chart's ``values.schema.json``): Python's backtracking ``re`` would
    let ``"^(a+)+$"`` run for minutes."""

    def __getattr__(self, name: str) -> Any:
        import re

        return getattr(re, name)

    @staticmethod
    def search(pattern: str, string: str, flags: int = 0) -> Any:
        """A bounded ``re.search``; raises ``RegexError`` when the pattern cannot be run (not
        RE2, not ``regex``) or its match takes longer than the limit."""
        return compile_policy(pattern).search(string)


_BOUNDED_RE = _BoundedRe()


def bound_jsonschema_patterns() -> None:
    """Make every jsonschema validation in this process run its patterns bounded (idempotent).
    jsonschema calls ``re.search`` from these modules; each gets ``_BoundedRe`` instead."""
    import importlib
    import re

    for name in ("jsonschema._keywords", "jsonschema._utils", "jsonschema._legacy_keywords"):
        try:
            module = importlib.import_module(name)
        except ImportError:  # a jsonschema without that module: nothing of it to bound
            continue
        if getattr(module, "re", None) is re:
            module.re = _BOUNDED_RE  # type: ignore[attr-defined]


def jsonschema_patterns_bounded() -> bool:
    """Whether jsonschema's pattern matching runs through ``_BoundedRe`` (checked by the tests)."""
    import importlib

    module = importlib.import_module("jsonschema._keywords")
    return getattr(module, "re", None) is _BOUNDED_RE
