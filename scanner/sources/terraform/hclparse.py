"""HCL text to the ``syntax`` AST, built while python-hcl2's LALR grammar is parsed.

python-hcl2's own pipeline builds a lark tree (with positions) and then transforms it; building
our AST directly in the parser's callbacks skips the intermediate tree, which is most of the
parse time. Lines come from tokens: a block ends at its closing brace, an attribute at the
line-break (or comment) that follows it.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from functools import lru_cache
from typing import Any

# lark imports the third-party `regex` module when it is installed, only to support Unicode
# property classes (\p{..}) that the HCL grammar does not use; the import alone costs a fifth
# of a pre-commit run. Hide it while lark loads (a None entry makes `import regex` fail).
if "regex" not in sys.modules:
    sys.modules["regex"] = None  # type: ignore[assignment]
    try:
        from lark import Lark, Token, Transformer
    finally:
        del sys.modules["regex"]
else:  # pragma: no cover - someone imported regex before us; nothing to save
    from lark import Lark, Token, Transformer

from scanner.sources.terraform.syntax import (
    Attribute,
    BinOp,
    Block,
    Body,
    Call,
    Conditional,
    Expr,
    ForExpr,
    GetAttr,
    HclSyntaxError,
    Index,
    Lit,
    Name,
    ObjectExpr,
    Splat,
    Template,
    TupleExpr,
    UnaryOp,
    Unsupported,
)


class _NL:
    """A line break or comment; ``line`` is where it starts, i.e. where the previous element ends."""

    __slots__ = ("line",)

    def __init__(self, line: int) -> None:
        self.line = line


class _Ident(str):
    """An identifier or label with the line it stands on."""

    line: int = 0


def _ident(text: str, line: int) -> _Ident:
    out = _Ident(text)
    out.line = line
    return out


class _Part:
    """One piece of a quoted template (text or an interpolated expression)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


class _Step:
    """A traversal step: ``("attr", name)`` or ``("index", expr)``, or a splat of steps."""

    __slots__ = ("kind", "value")

    def __init__(self, kind: str, value: Any) -> None:
        self.kind = kind
        self.value = value


def _exprs(children: list[Any]) -> list[Any]:
    """Children that are values (AST nodes, steps...), without tokens and line breaks."""
    return [c for c in children if not isinstance(c, (Token, _NL))]


_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
_ESCAPE_RE = re.compile(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)")


def _unescape(text: str) -> str:
    def repl(m: re.Match[str]) -> str:
        s = m.group(1)
        if s[0] in "uU" and len(s) > 1:
            return chr(int(s[1:], 16))
        return _ESCAPES.get(s, "\\" + s)

    return _ESCAPE_RE.sub(repl, text) if "\\" in text else text


def _template(parts: list[Any]) -> Expr:
    if all(isinstance(p, str) for p in parts):
        return Lit("".join(parts))
    if len(parts) == 1:
        return parts[0]  # "${x}" alone keeps x's type, as Terraform does
    return Template(parts)


_HEREDOC_RE = re.compile(r"<<(-?)([a-zA-Z][a-zA-Z0-9._-]*)\r?\n(.*?)[ \t]*\2\r?\n?$", re.S)


def _heredoc(token: str) -> Expr:
    m = _HEREDOC_RE.match(token)
    if not m:
        return Unsupported("heredoc")
    trim, _, text = m.groups()
    if trim:
        lines = text.split("\n")
        indents = [len(ln) - len(ln.lstrip(" \t")) for ln in lines if ln.strip()]
        cut = min(indents, default=0)
        text = "\n".join(ln[cut:] for ln in lines)
    if "${" not in text and "%{" not in text:
        return Lit(text)
    # Re-parse the body as a quoted template so interpolations are evaluated like any string.
    quoted = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    try:
        return parse_hcl(f'x = "{quoted}"\n').attributes["x"].expr
    except HclSyntaxError:
        return Unsupported("heredoc template")


class _Builder(Transformer):  # type: ignore[type-arg]
    """Callbacks of the hcl2.lark rules (and aliases), each returning AST pieces. Attributes get
    their end lines afterwards, from the source text (see ``_set_attribute_ends``)."""

    # --- structure ---------------------------------------------------------------------------
    def start(self, c: list[Any]) -> Body:
        return c[0]

    def new_line_or_comment(self, c: list[Any]) -> _NL:
        return _NL(c[0].line)

    def body(self, c: list[Any]) -> Body:
        out = Body()
        for item in c:
            if isinstance(item, Attribute):
                out.attributes[item.name] = item
            elif isinstance(item, Block):
                out.blocks.append(item)
        return out

    def attribute(self, c: list[Any]) -> Attribute:
        # a quoted name ("x" = 1) arrives as a string literal
        name = c[0].label() if isinstance(c[0], _StringLit) else c[0]
        line = getattr(name, "line", 0) or getattr(c[1], "line", 0)
        return Attribute(str(name), _value(c[-1]), line, line)

    def block(self, c: list[Any]) -> Block:
        # labels arrive as identifiers or string literals ("oci_core_vcn")
        c = [x.label() if isinstance(x, _StringLit) else x for x in c]
        names = [x for x in c if isinstance(x, str) and not isinstance(x, Token)]
        rbrace, body = c[-1], c[-2]
        start = getattr(names[0], "line", 0) or rbrace.line
        return Block(str(names[0]), [str(n) for n in names[1:]], body, start, rbrace.line)

    # --- names and literals --------------------------------------------------------------------
    def identifier(self, c: list[Any]) -> _Ident:
        return _ident(str(c[0]), c[0].line)

    keyword = identifier

    def literal_value(self, c: list[Any]) -> Any:
        text = str(c[0])
        # as a block label or attribute name (`null = 1`) it is a name; as a value a literal
        return _LiteralName(text, c[0].line)

    def int_lit(self, c: list[Any]) -> Lit:
        return Lit(int(str(c[0])))

    def float_lit(self, c: list[Any]) -> Lit:
        return Lit(float(str(c[0])))

    # --- strings ---------------------------------------------------------------------------------
    def string(self, c: list[Any]) -> _StringLit:
        parts = [p.value for p in c if isinstance(p, _Part)]
        line = c[0].line if isinstance(c[0], Token) else 0
        return _StringLit(parts, line)

    def string_part(self, c: list[Any]) -> _Part:
        inner = c[0]
        if isinstance(inner, Token):
            if inner.type in ("ESCAPED_INTERPOLATION", "ESCAPED_DIRECTIVE"):
                return _Part(str(inner)[1:])
            return _Part(_unescape(str(inner)))
        if isinstance(inner, Expr):
            return _Part(inner)
        return _Part(Unsupported("template directive"))

    def interpolation(self, c: list[Any]) -> Expr:
        return _value(_exprs(c)[0])

    def _directive(self, c: list[Any]) -> str:
        return "directive"

    template_if_start = template_else = template_endif = _directive
    template_for_start = template_endfor = _directive

    def template_string(self, c: list[Any]) -> Lit:
        return Lit(_unescape(str(c[0])[2:-2]))

    def heredoc_template(self, c: list[Any]) -> Expr:
        return _heredoc(str(c[0]))

    heredoc_template_trim = heredoc_template

    # --- expressions -------------------------------------------------------------------------------
    def expr_term(self, c: list[Any]) -> Any:
        return _exprs(c)[0]

    def tuple(self, c: list[Any]) -> TupleExpr:
        return TupleExpr([_value(x) for x in _exprs(c)])

    def object(self, c: list[Any]) -> ObjectExpr:
        return ObjectExpr([x for x in _exprs(c) if isinstance(x, tuple)])

    def object_elem(self, c: list[Any]) -> tuple[Expr, Expr]:
        key, value = _exprs(c)
        return key, _value(value)

    def object_elem_key(self, c: list[Any]) -> Expr:
        key = _exprs(c)[0]
        if isinstance(key, (_Ident, _LiteralName)):  # bare keys are strings, not references
            return Lit(str(key))
        return _value(key)

    def function_call(self, c: list[Any]) -> Call:
        items = _exprs(c)
        names = [x for x in items if isinstance(x, _Ident)]
        args = next((x for x in items if isinstance(x, _Args)), _Args([], False))
        return Call("::".join(names), args.items, args.expand)

    def arguments(self, c: list[Any]) -> _Args:
        expand = any(isinstance(t, Token) and t.type == "ELLIPSIS" for t in c)
        return _Args([_value(x) for x in _exprs(c)], expand)

    def get_attr_expr_term(self, c: list[Any]) -> GetAttr:
        obj, step = _exprs(c)
        return GetAttr(_value(obj), step.value)

    def index_expr_term(self, c: list[Any]) -> Index:
        obj, step = _exprs(c)
        return Index(_value(obj), step.value)

    def _splat_term(self, c: list[Any]) -> Splat:
        obj, steps = _exprs(c)
        return Splat(_value(obj), steps)

    attr_splat_expr_term = full_splat_expr_term = _splat_term

    def get_attr(self, c: list[Any]) -> _Step:
        return _Step("attr", str(_exprs(c)[0]))

    def braces_index(self, c: list[Any]) -> _Step:
        return _Step("index", _value(_exprs(c)[0]))

    def short_index(self, c: list[Any]) -> _Step:
        return _Step("index", Lit(int(str(c[1]))))

    def _splat(self, c: list[Any]) -> list[tuple[str, Any]]:
        return [(s.kind, s.value) for s in _exprs(c)]

    attr_splat = full_splat = _splat

    def conditional(self, c: list[Any]) -> Conditional:
        cond, then, other = (_value(x) for x in _exprs(c))
        return Conditional(cond, then, other)

    def binary_operator(self, c: list[Any]) -> str:
        # the post-lexer folds a preceding line break into the operator token
        return str(c[0]).split()[-1]

    def binary_term(self, c: list[Any]) -> tuple[str, Expr]:
        op, rhs = _exprs(c)
        return op, _value(rhs)

    def binary_op(self, c: list[Any]) -> BinOp:
        lhs, (op, rhs) = _exprs(c)[:2]
        return BinOp(op, _value(lhs), rhs)

    def unary_op(self, c: list[Any]) -> UnaryOp:
        return UnaryOp(str(c[0]).strip(), _value(_exprs(c)[0]))

    def for_intro(self, c: list[Any]) -> _ForIntro:
        # FOR name [, name] IN collection COLON: the collection may itself be a bare name
        at = next(i for i, x in enumerate(c) if isinstance(x, Token) and x.type == "IN")
        names = [str(x) for x in _exprs(c[:at])]
        return _ForIntro(names, _value(_exprs(c[at + 1 :])[0]))

    def for_cond(self, c: list[Any]) -> _ForCond:
        return _ForCond(_value(_exprs(c)[0]))

    def for_tuple_expr(self, c: list[Any]) -> ForExpr:
        return self._for(c, False)

    def for_object_expr(self, c: list[Any]) -> ForExpr:
        return self._for(c, True)

    def _for(self, c: list[Any], as_object: bool) -> ForExpr:
        items = _exprs(c)
        intro: _ForIntro = items[0]
        cond = next((x.expr for x in items if isinstance(x, _ForCond)), None)
        body = [_value(x) for x in items[1:] if not isinstance(x, _ForCond)]
        key_var, value_var = (
            (intro.names[0], intro.names[1]) if len(intro.names) == 2 else (None, intro.names[0])
        )
        if as_object:
            grouping = any(isinstance(t, Token) and t.type == "ELLIPSIS" for t in c)
            return ForExpr(key_var, value_var, intro.collection, body[0], body[1], cond, grouping)
        return ForExpr(key_var, value_var, intro.collection, None, body[0], cond)


class _LiteralName(str):
    """``true`` / ``false`` / ``null``: a literal as a value, a name as a label."""

    line: int = 0

    def __new__(cls, text: str, line: int) -> _LiteralName:
        out = super().__new__(cls, text)
        out.line = line
        return out


class _StringLit:
    """A quoted string: a template as a value, its text as a block label."""

    __slots__ = ("parts", "line")

    def __init__(self, parts: list[Any], line: int) -> None:
        self.parts = parts
        self.line = line

    def label(self) -> _Ident:
        return _ident("".join(p if isinstance(p, str) else "${...}" for p in self.parts), self.line)


class _Args:
    __slots__ = ("items", "expand")

    def __init__(self, items: list[Expr], expand: bool) -> None:
        self.items = items
        self.expand = expand


class _ForIntro:
    __slots__ = ("names", "collection")

    def __init__(self, names: list[str], collection: Expr) -> None:
        self.names = names
        self.collection = collection


class _ForCond:
    __slots__ = ("expr",)

    def __init__(self, expr: Expr) -> None:
        self.expr = expr


def _value(x: Any) -> Expr:
    """The expression for something that may still be a name-ish intermediate."""
    if isinstance(x, _StringLit):
        return _template(x.parts)
    if isinstance(x, _LiteralName):
        return Lit({"true": True, "false": False, "null": None}[str(x)])
    if isinstance(x, _Ident):
        return Name(str(x))
    return x


def _hcl2_dir() -> str:
    """python-hcl2's package directory, found without importing the package: its ``__init__``
    loads its whole API, which parsing with its grammar does not need."""
    from importlib.util import find_spec

    spec = find_spec("hcl2")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("python-hcl2 is not installed")
    return list(spec.submodule_search_locations)[0]


def _postlexer_class() -> type:
    """python-hcl2's ``PostLexer`` (needs only lark), loaded from its file for the same reason."""
    from importlib.util import module_from_spec, spec_from_file_location

    spec = spec_from_file_location("_ocisec_hcl2_postlexer", os.path.join(_hcl2_dir(), "postlexer.py"))
    if spec is None or spec.loader is None:  # pragma: no cover - the file ships with python-hcl2
        from hcl2.postlexer import PostLexer

        return PostLexer
    module = module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.PostLexer


@lru_cache(maxsize=1)
def _parser() -> Lark:
    PostLexer = _postlexer_class()  # noqa: N806 - a class
    grammar = os.path.join(_hcl2_dir(), "hcl2.lark")
    cache = os.path.join(tempfile.gettempdir(), f"ocisec-lark-{_grammar_tag(grammar)}.cache")
    return Lark.open(
        grammar,
        parser="lalr",
        lexer="contextual",
        transformer=_Builder(),
        postlex=PostLexer(),
        cache=cache,
        maybe_placeholders=False,
    )


def _grammar_tag(path: str) -> str:
    import hashlib

    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()[:16]


def warm_up() -> None:
    """Build (or load) the parser now, e.g. before forking helpers that will parse."""
    _parser()


def parse_hcl(text: str) -> Body:
    """Parse HCL text into a ``Body``; raises ``HclSyntaxError`` with the line when known."""
    parser = _parser()
    try:
        body = parser.parse(text + "\n")
    except RecursionError:
        raise HclSyntaxError("nesting too deep to parse") from None
    except Exception as exc:  # lark raises several unrelated exception types
        raise _syntax_error(exc) from None
    if not isinstance(body, Body):  # pragma: no cover - the grammar's start rule is a body
        raise HclSyntaxError("not an HCL body")
    _set_attribute_ends(body, _code_lines(text), len(text.splitlines()))
    return body


def _code_lines(text: str) -> list[bool]:
    """Per line (1-based; index 0 unused): does it hold anything but blanks and a comment?"""
    out = [False]
    for line in text.splitlines():
        stripped = line.strip()
        out.append(bool(stripped) and not stripped.startswith(("#", "//")))
    return out


def _set_attribute_ends(body: Body, code: list[bool], limit: int) -> None:
    """An attribute ends on the last line holding code before the next attribute or block of
    its body starts (or before the closing brace / end of file at ``limit``). Tracking end
    lines through every parser callback instead costs a fifth of the parse time."""
    items = sorted([*body.attributes.values(), *body.blocks], key=lambda x: x.start)
    for i, item in enumerate(items):
        bound = items[i + 1].start - 1 if i + 1 < len(items) else limit
        if isinstance(item, Attribute):
            end = max(bound, item.start)  # a one-line block closes on its attribute's line
            while end > item.start and (end >= len(code) or not code[end]):
                end -= 1
            item.end = end
        else:
            _set_attribute_ends(item.body, code, item.end - 1)


def _syntax_error(exc: Exception) -> HclSyntaxError:
    """A parse error that names where and what kind of token, never the source text (which may
    hold a secret)."""
    line = getattr(exc, "line", None)
    line = line if isinstance(line, int) and line > 0 else None
    column = getattr(exc, "column", None)
    token = getattr(exc, "token", None)
    kind = getattr(token, "type", None) or (getattr(exc, "char", None) and "character")
    where = f"line {line}, column {column}" if line else "unknown position"
    what = f"unexpected {_TOKEN_NAMES.get(str(kind), str(kind).lower())}" if kind else type(exc).__name__
    return HclSyntaxError(f"HCL syntax error at {where}: {what}", line)


_TOKEN_NAMES = {
    "NL_OR_COMMENT": "line break or comment",
    "STRING_CHARS": "string text",
    "$END": "end of file",
    "character": "character",
}
