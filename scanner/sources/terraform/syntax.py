"""Terraform syntax as a small typed AST with line numbers (see ``hclparse`` for how HCL text
becomes this AST). The AST is plain picklable dataclasses, so the parse cache can store it and a
warm scan never imports the parser."""

from __future__ import annotations

import operator
from dataclasses import dataclass, field, fields
from typing import Any

# --- expressions -----------------------------------------------------------------------------


class Expr:
    """Base class of expression nodes."""

    __slots__ = ()


@dataclass(slots=True)
class Lit(Expr):
    value: Any


@dataclass(slots=True)
class Template(Expr):
    """A quoted string or heredoc: literal parts and interpolated expressions."""

    parts: list[Any]  # str | Expr


@dataclass(slots=True)
class Name(Expr):
    name: str


@dataclass(slots=True)
class GetAttr(Expr):
    obj: Expr
    attr: str


@dataclass(slots=True)
class Index(Expr):
    obj: Expr
    key: Expr


@dataclass(slots=True)
class Splat(Expr):
    """``obj[*].a.b`` / ``obj.*.a``: ``steps`` applied to every element."""

    obj: Expr
    steps: list[tuple[str, Any]]  # ("attr", name) | ("index", Expr)


@dataclass(slots=True)
class Call(Expr):
    name: str
    args: list[Expr]
    expand_last: bool = False


@dataclass(slots=True)
class TupleExpr(Expr):
    items: list[Expr]


@dataclass(slots=True)
class ObjectExpr(Expr):
    items: list[tuple[Expr, Expr]]


@dataclass(slots=True)
class Conditional(Expr):
    cond: Expr
    then: Expr
    other: Expr


@dataclass(slots=True)
class BinOp(Expr):
    op: str
    left: Expr
    right: Expr


@dataclass(slots=True)
class UnaryOp(Expr):
    op: str
    operand: Expr


@dataclass(slots=True)
class ForExpr(Expr):
    key_var: str | None
    value_var: str
    collection: Expr
    key: Expr | None  # set for object-producing for expressions
    value: Expr
    cond: Expr | None
    grouping: bool = False


@dataclass(slots=True)
class TemplateIf(Expr):
    """``%{ if cond }then%{ else }other%{ endif }`` inside a template; both arms are strings."""

    cond: Expr
    then: Expr
    other: Expr


@dataclass(slots=True)
class TemplateFor(Expr):
    """``%{ for k, v in coll }body%{ endfor }`` inside a template: ``body`` repeated, joined."""

    key_var: str | None
    value_var: str
    collection: Expr
    body: Expr


@dataclass(slots=True)
class Unsupported(Expr):
    """A construct the evaluator does not model; always unknown."""

    what: str


# --- structure ---------------------------------------------------------------------------------


@dataclass(slots=True)
class Attribute:
    name: str
    expr: Expr
    start: int
    end: int


@dataclass(slots=True)
class Block:
    type: str
    labels: list[str]
    body: Body
    start: int
    end: int


@dataclass(slots=True)
class Body:
    attributes: dict[str, Attribute] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)

    def blocks_of(self, type_: str) -> list[Block]:
        """Nested blocks of one type, in source order."""
        return [b for b in self.blocks if b.type == type_]


class HclSyntaxError(ValueError):
    """A file that is not valid HCL; carries the line when the parser knows it."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


# --- pickling ----------------------------------------------------------------------------------
# ASTs cross process boundaries (the parse pool) and go to the parse cache as pickles. A slotted
# dataclass pickles through a generic __getstate__/__setstate__ pair; reducing each node to its
# class and field values instead halves the time both ways and a third of the bytes.


def _reduce_by_fields(cls: type) -> None:
    names = [f.name for f in fields(cls)]
    getter = operator.attrgetter(*names)
    if len(names) == 1:

        def __reduce__(self: Any) -> tuple[Any, ...]:
            return (cls, (getter(self),))

    else:

        def __reduce__(self: Any) -> tuple[Any, ...]:
            return (cls, getter(self))

    cls.__reduce__ = __reduce__  # type: ignore[method-assign,assignment]


for _cls in (
    Lit, Template, Name, GetAttr, Index, Splat, Call, TupleExpr, ObjectExpr, Conditional, BinOp,
    UnaryOp, ForExpr, TemplateIf, TemplateFor, Unsupported, Attribute, Block, Body,
):  # fmt: skip
    _reduce_by_fields(_cls)
