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


def parse_tf_json(text: str) -> Body:
    """Parse a ``.tf.json`` file; raises ``HclSyntaxError`` on invalid JSON."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise HclSyntaxError(f"invalid JSON: {exc.msg}", exc.lineno) from None
    if not isinstance(doc, dict):
        raise HclSyntaxError("a .tf.json file must hold a JSON object", 1)
    lines = _key_lines(text)
    body = Body()
    for kind, content in doc.items():
        line = lines.get(kind, 1)
        if kind == "locals":
            for item in content if isinstance(content, list) else [content]:
                body.blocks.append(Block("locals", [], _attrs_body(item, lines), line, line))
            continue
        depth = _LABELS.get(kind, 0)
        for labels, value in _label_walk(content, depth):
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, dict):
                    start = lines.get(labels[-1], line) if labels else line
                    body.blocks.append(Block(kind, labels, _attrs_body(item, lines), start, start))
    return body


def _label_walk(content: Any, depth: int, labels: tuple[str, ...] = ()) -> list[tuple[list[str], Any]]:
    if depth == 0 or not isinstance(content, dict):
        return [(list(labels), content)]
    out = []
    for key, value in content.items():
        out.extend(_label_walk(value, depth - 1, (*labels, key)))
    return out


def _attrs_body(obj: dict[str, Any], lines: dict[str, int]) -> Body:
    body = Body()
    for key, value in obj.items():
        line = lines.get(key, 1)
        if key == "dynamic" and isinstance(value, dict):
            for name, spec in value.items():
                body.blocks.append(Block("dynamic", [name], _attrs_body(spec, lines), line, line))
        else:
            body.attributes[key] = Attribute(key, _value(value), line, line)
    return body


def _value(value: Any) -> Expr:
    if isinstance(value, str):
        if "${" in value or "%{" in value:
            from scanner.sources.terraform.hclparse import parse_hcl

            try:
                return parse_hcl("x = " + json.dumps(value) + "\n").attributes["x"].expr
            except HclSyntaxError:
                return Lit(value)
        return Lit(value)
    if isinstance(value, list):
        return TupleExpr([_value(v) for v in value])
    if isinstance(value, dict):
        return ObjectExpr([(Lit(k), _value(v)) for k, v in value.items()])
    return Lit(value)


_KEY_RE = re.compile(r'"((?:[^"\\]|\\.)*)"\s*:')


def _key_lines(text: str) -> dict[str, int]:
    """First line on which each object key appears (good enough to point at a block)."""
    out: dict[str, int] = {}
    for lineno, line in enumerate(text.splitlines(), 1):
        for m in _KEY_RE.finditer(line):
            out.setdefault(m.group(1), lineno)
    return out
