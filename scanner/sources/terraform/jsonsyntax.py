"""Terraform's JSON syntax (``.tf.json``) turned into the same AST as HCL files.

JSON carries no schema, so a nested block and an object-valued argument look alike: objects stay
objects (the engine walks a dict like a one-element block list). Lines are those of each key.
"""

from __future__ import annotations

import json
import re
from typing import Any

from scanner.sources.terraform.syntax import (
    Attribute,
    Block,
    Body,
    Expr,
    HclSyntaxError,
    Lit,
    ObjectExpr,
    TupleExpr,
)

# Block types whose JSON nesting depth gives labels: resource "T" "N", variable "x", ...
_LABELS = {"resource": 2, "data": 2, "variable": 1, "output": 1, "module": 1, "provider": 1}


class _Pairs(list):
    """A JSON object as its key/value pairs in order: HCL's JSON syntax keeps duplicate keys
    (``"resource"`` twice declares both sets of resources), so objects are not collapsed."""

    def get(self, key: str, default: Any = None) -> Any:
        for k, v in self:
            if k == key:
                return v
        return default


def parse_tf_json(text: str) -> Body:
    """Parse a ``.tf.json`` file; raises ``HclSyntaxError`` on invalid JSON."""
    try:
        doc = json.loads(text, object_pairs_hook=_Pairs)
    except json.JSONDecodeError as exc:
        raise HclSyntaxError(f"invalid JSON: {exc.msg}", exc.lineno) from None
    if not isinstance(doc, _Pairs):
        raise HclSyntaxError("a .tf.json file must hold a JSON object", 1)
    lines = _KeyLines(text)
    body = Body()
    for kind, content in doc:
        line = lines.next(kind)
        if kind == "locals":
            for item in _objects(content):
                body.blocks.append(Block("locals", [], _attrs_body(item, lines), line, line))
            continue
        depth = _LABELS.get(kind, 0)
        for labels, item in _label_walk(content, depth, lines):
            start = labels[1] if labels[0] else line
            body.blocks.append(Block(kind, labels[0], _attrs_body(item, lines), start, start))
    return body


def _objects(content: Any) -> list[_Pairs]:
    """The objects of a JSON value that may be one object or an array of them (the array form
    the HCL JSON specification allows wherever a block or a set of labels is expected)."""
    if isinstance(content, _Pairs):
        return [content]
    if isinstance(content, list):
        return [item for item in content if isinstance(item, _Pairs)]
    return []


def _label_walk(
    content: Any, depth: int, lines: _KeyLines, labels: tuple[str, ...] = (), line: int = 1
) -> list[tuple[tuple[list[str], int], _Pairs]]:
    """Every block body under ``depth`` levels of labels, with its labels and the line of the
    last label; each level may be an object or an array of objects."""
    out: list[tuple[tuple[list[str], int], _Pairs]] = []
    for obj in _objects(content):
        if depth == 0:
            out.append(((list(labels), line), obj))
            continue
        for key, value in obj:
            out.extend(_label_walk(value, depth - 1, lines, (*labels, key), lines.next(key)))
    return out


def _attrs_body(obj: _Pairs, lines: _KeyLines) -> Body:
    body = Body()
    for key, value in obj:
        line = lines.next(key)
        if key == "dynamic" and isinstance(value, (_Pairs, list)):
            for spec_obj in _objects(value):
                for name, spec in spec_obj:
                    for item in _objects(spec):
                        body.blocks.append(Block("dynamic", [name], _attrs_body(item, lines), line, line))
        elif key in body.attributes:
            # The same key again is the same nested block once more: keep both as a list.
            previous = body.attributes[key]
            items = previous.expr.items if isinstance(previous.expr, TupleExpr) else [previous.expr]
            body.attributes[key] = Attribute(
                key, TupleExpr([*items, _value(value, lines)]), previous.start, line
            )
        else:
            body.attributes[key] = Attribute(key, _value(value, lines), line, line)
    return body


def _value(value: Any, lines: _KeyLines | None = None) -> Expr:
    if isinstance(value, str):
        if "${" in value or "%{" in value:
            from scanner.sources.terraform.hclparse import parse_hcl

            try:
                return parse_hcl("x = " + json.dumps(value) + "\n").attributes["x"].expr
            except HclSyntaxError:
                return Lit(value)
        return Lit(value)
    if isinstance(value, list) and not isinstance(value, _Pairs):
        return TupleExpr([_value(v, lines) for v in value])
    if isinstance(value, _Pairs):
        items = []
        for k, v in value:
            if lines is not None:
                lines.next(k)  # consume the key's line so later keys of the same name stay right
            items.append((Lit(k), _value(v, lines)))
        return ObjectExpr(items)
    return Lit(value)


_KEY_RE = re.compile(r'"((?:[^"\\]|\\.)*)"\s*:')


class _KeyLines:
    """The lines on which each object key appears, handed out in document order, so the second
    ``"resource"`` key (or a second block of the same name) points at its own line."""

    def __init__(self, text: str) -> None:
        self.lines: dict[str, list[int]] = {}
        self.used: dict[str, int] = {}
        for lineno, line in enumerate(text.splitlines(), 1):
            for m in _KEY_RE.finditer(line):
                try:
                    key = json.loads(f'"{m.group(1)}"')
                except json.JSONDecodeError:
                    key = m.group(1)
                self.lines.setdefault(key, []).append(lineno)

    def next(self, key: str) -> int:
        """The line of the next not yet used occurrence of ``key`` (the last one when all are)."""
        found = self.lines.get(key)
        if not found:
            return 1
        i = self.used.get(key, 0)
        self.used[key] = i + 1
        return found[min(i, len(found) - 1)]
