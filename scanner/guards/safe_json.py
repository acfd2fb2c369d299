"""Reading untrusted JSON documents: bounded in size and nesting, and checked against a schema
of their format before anything uses them.

Python's ``json`` module recurses once per nesting level, so a document of 100,000 nested
arrays ends in ``RecursionError`` far from where it was read. ``loads`` measures the nesting in
one linear pass first and refuses documents deeper than ``LIMITS.max_depth``; ``read_json``
adds the size bound and UTF-8 check of ``read_regular_file``; ``schema_problems`` validates
against a JSON schema and names each problem by its JSON path (``$.regions["eu-frankfurt-1"]``),
never by the offending value (which may be a secret).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scanner.guards.limits import LIMITS
from scanner.guards.safe_io import UnreadableInput, read_regular_file


class JsonInputError(ValueError):
    """A JSON document that cannot be used; ``line`` is 1-based when known. The message names
    the problem and where it is, never the document's text."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


# Everything but brackets and strings is skipped in one step; strings are skipped whole (a
# bracket inside a string does not nest).
_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[\]{}]', re.S)


def nesting_depth(text: str, limit: int) -> int:
    """The deepest nesting of arrays and objects in ``text``, counting no further than
    ``limit + 1`` (linear time, no recursion)."""
    depth = deepest = 0
    for m in _TOKENS.finditer(text):
        first = m.group()[0]
        if first == '"':
            continue
        if first in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    return deepest
        elif first in "]}":
            depth -= 1
    return deepest


def loads(text: str, max_depth: int | None = None) -> Any:
    """``json.loads`` for untrusted text: ``JsonInputError`` for invalid JSON (with its line)
    and for nesting deeper than ``max_depth`` (default ``LIMITS.max_depth``)."""
    limit = LIMITS.max_depth if max_depth is None else max_depth
    if nesting_depth(text, limit) > limit:
        line = _line_of_depth(text, limit + 1)
        raise JsonInputError(
            f"JSON nested deeper than max_depth={limit} (raise it with OCISEC_LIMIT_MAX_DEPTH=N)", line
        )
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise JsonInputError(
            f"not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})", exc.lineno
        ) from None
    except RecursionError:  # cannot happen below max_depth; kept as the last guard
        raise JsonInputError("JSON nested too deeply") from None


def _line_of_depth(text: str, depth: int) -> int | None:
    level = 0
    for m in _TOKENS.finditer(text):
        first = m.group()[0]
        if first == '"':
            continue
        if first in "[{":
            level += 1
            if level >= depth:
                return text.count("\n", 0, m.start()) + 1
        elif first in "]}":
            level -= 1
    return None


def read_json(path: Path | str, max_bytes: int | None = None) -> Any:
    """The JSON document in file ``path``: at most ``max_bytes`` (default
    ``LIMITS.max_file_bytes``), UTF-8, bounded nesting. Raises ``JsonInputError``."""
    limit = LIMITS.max_file_bytes if max_bytes is None else max_bytes
    try:
        data = read_regular_file(path, limit)
    except UnreadableInput as exc:
        raise JsonInputError(str(exc)) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise JsonInputError(f"not UTF-8 text (byte {exc.start})") from None
    return loads(text)


@dataclass(frozen=True)
class SchemaProblem:
    """One way a document breaks its schema: where (a JSON path) and what is expected."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def json_path(parts: Any) -> str:
    """``$.resources[3].related.api_keys[0]`` for the path parts jsonschema reports."""
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", part):
            out += f".{part}"
        else:
            out += "[" + json.dumps(str(part), ensure_ascii=True) + "]"
    return out


def schema_problems(doc: Any, schema: dict[str, Any], limit: int = 5) -> list[SchemaProblem]:
    """At most ``limit`` problems of ``doc`` against ``schema`` (a trusted, shipped schema),
    deepest first within each branch, each with a message that never quotes the value."""
    from jsonschema.validators import validator_for

    validator = validator_for(schema)(schema)
    problems: list[SchemaProblem] = []
    for err in sorted(validator.iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path]):
        problems.append(SchemaProblem(json_path(err.absolute_path), describe(err)))
        if len(problems) >= limit:
            break
    return problems


_BOUNDS = ("minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems", "pattern", "format")


def describe(err: Any) -> str:
    """What a schema violation expects, from the schema's side (no quoted value)."""
    keyword, expected = err.validator, err.validator_value
    if keyword == "type":
        wanted = expected if isinstance(expected, str) else " or ".join(map(str, expected))
        return f"expected {wanted}, found {_type_name(err.instance)}"
    if keyword == "required":
        missing = [k for k in expected if isinstance(err.instance, dict) and k not in err.instance]
        return f"missing required key {', '.join(map(repr, missing or expected))}"
    if keyword == "additionalProperties":
        extra = sorted(set(err.instance) - set(err.schema.get("properties", {}))) if isinstance(
            err.instance, dict
        ) else []
        shown = ", ".join(repr(k)[:60] for k in extra[:3])
        return f"unexpected key {shown}" if shown else "unexpected keys"
    if keyword == "enum":
        return "must be one of " + ", ".join(map(str, expected))
    if keyword == "const":
        return f"must be {expected!r}"
    if keyword in _BOUNDS:
        return f"violates {keyword} {expected}"
    return f"violates the schema keyword {keyword!r}"


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def check_schema(doc: Any, schema: dict[str, Any]) -> None:
    """Raise ``JsonInputError`` naming the JSON path of the first place ``doc`` breaks
    ``schema`` (and how many more there are)."""
    problems = schema_problems(doc, schema, limit=6)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise JsonInputError(f"{problems[0]}{more}")


def load_schema(path: Path) -> dict[str, Any]:
    """A schema shipped with ocisec (trusted, read once per process by the caller)."""
    return json.loads(path.read_text(encoding="utf-8"))
