"""HCL text to the ``syntax`` AST, by walking the lark parse tree of python-hcl2.

The dict that python-hcl2 serializes loses line numbers and turns expressions back into strings;
walking the lark tree instead keeps both the structure the evaluator needs and the lines that
findings point at.
"""

from __future__ import annotations

import re
from typing import Any

from lark import Token, Tree

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

# --- conversion from the lark tree -----------------------------------------------------------

_SKIP = "new_line_or_comment"


def _trees(node: Tree) -> list[Tree]:
    return [c for c in node.children if isinstance(c, Tree) and c.data != _SKIP]


def _name_of(node: Tree) -> str:
    """identifier / keyword / literal_value / string used as a name or label."""
    if node.data == "string":
        return _plain_string(node)
    tok = node.children[0]
    return str(tok)


def _plain_string(node: Tree) -> str:
    parts = _string_parts(node)
    return "".join(p if isinstance(p, str) else "${...}" for p in parts)


def parse_tree(tree: Tree) -> Body:
    """Convert the lark tree of a whole file (``start``) into a ``Body``."""
    body = tree.children[0] if tree.data == "start" else tree
    return _body(body)


def _body(node: Tree) -> Body:
    out = Body()
    for child in _trees(node):
        if child.data == "attribute":
            name_node, expr_node = _trees(child)
            out.attributes[_name_of(name_node)] = Attribute(
                _name_of(name_node), _expr(expr_node), child.meta.line, child.meta.end_line
            )
        elif child.data == "block":
            kids = _trees(child)
            inner = kids[-1]
            names = [_name_of(k) for k in kids[:-1]]
            out.blocks.append(Block(names[0], names[1:], _body(inner), child.meta.line, child.meta.end_line))
    return out


_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
_ESCAPE_RE = re.compile(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)")


def _unescape(text: str) -> str:
    def repl(m: re.Match[str]) -> str:
        s = m.group(1)
        if s[0] in "uU" and len(s) > 1:
            return chr(int(s[1:], 16))
        return _ESCAPES.get(s, "\\" + s)

    return _ESCAPE_RE.sub(repl, text) if "\\" in text else text


def _string_parts(node: Tree) -> list[Any]:
    parts: list[Any] = []
    for part in node.children:
        if not isinstance(part, Tree):
            continue  # the quotes
        inner = part.children[0]
        if isinstance(inner, Token):
            if inner.type == "ESCAPED_INTERPOLATION":
                parts.append(str(inner)[1:])
            elif inner.type == "ESCAPED_DIRECTIVE":
                parts.append(str(inner)[1:])
            else:
                parts.append(_unescape(str(inner)))
        elif inner.data == "interpolation":
            parts.append(_expr(_trees(inner)[0]))
        else:
            parts.append(Unsupported("template directive"))
    return parts


def _template(parts: list[Any]) -> Expr:
    if all(isinstance(p, str) for p in parts):
        return Lit("".join(parts))
    if len(parts) == 1:
        # "${x}" alone keeps x's type, as Terraform does
        return parts[0]
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
    from hcl2.api import parses_to_tree

    quoted = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    try:
        tree = parses_to_tree(f'x = "{quoted}"\n')
    except Exception:  # noqa: BLE001 - a heredoc we cannot re-parse is just unknown
        return Unsupported("heredoc template")
    return _body(tree.children[0]).attributes["x"].expr


_BINOPS = {"binary_op"}


def _expr(node: Any) -> Expr:  # noqa: C901 - one dispatch over the grammar's expression rules
    if isinstance(node, Token):
        return Lit(str(node))
    kind = node.data
    if kind == "expr_term":
        kids = _trees(node)
        return _expr(kids[0])
    if kind == "int_lit":
        return Lit(int(str(node.children[0])))
    if kind == "float_lit":
        return Lit(float(str(node.children[0])))
    if kind == "literal_value":
        return Lit({"true": True, "false": False, "null": None}[str(node.children[0])])
    if kind == "string":
        return _template(_string_parts(node))
    if kind in ("heredoc_template", "heredoc_template_trim"):
        return _heredoc(str(node.children[0]))
    if kind in ("identifier", "keyword"):
        return Name(str(node.children[0]))
    if kind == "tuple":
        return TupleExpr([_expr(k) for k in _trees(node)])
    if kind == "object":
        items = []
        for elem in _trees(node):
            key_node, val_node = _trees(elem)
            key_inner = _trees(key_node)[0] if _trees(key_node) else key_node.children[0]
            key = _expr(key_inner)
            if isinstance(key, Name):  # bare keys are strings, not references
                key = Lit(key.name)
            items.append((key, _expr(val_node)))
        return ObjectExpr(items)
    if kind == "function_call":
        kids = _trees(node)
        names = [k for k in kids if k.data == "identifier"]
        fname = "::".join(str(n.children[0]) for n in names)
        args_node = next((k for k in kids if k.data == "arguments"), None)
        args: list[Expr] = []
        expand = False
        if args_node is not None:
            args = [_expr(a) for a in _trees(args_node)]
            expand = any(isinstance(t, Token) and t.type == "ELLIPSIS" for t in args_node.children)
        return Call(fname, args, expand)
    if kind == "get_attr_expr_term":
        obj, get = _trees(node)
        return GetAttr(_expr(obj), _name_of(_trees(get)[0]))
    if kind == "index_expr_term":
        obj, idx = _trees(node)
        return Index(_expr(obj), _index_key(idx))
    if kind in ("attr_splat_expr_term", "full_splat_expr_term"):
        obj, splat = _trees(node)
        steps: list[tuple[str, Any]] = []
        for step in _trees(splat):
            if step.data == "get_attr":
                steps.append(("attr", _name_of(_trees(step)[0])))
            else:
                steps.append(("index", _index_key(step)))
        return Splat(_expr(obj), steps)
    if kind == "conditional":
        c, t, f = _trees(node)
        return Conditional(_expr(c), _expr(t), _expr(f))
    if kind == "binary_op":
        kids = _trees(node)
        left, term = kids[0], kids[1]
        op_node, rhs = _trees(term)
        return BinOp(str(op_node.children[0]), _expr(left), _expr(rhs))
    if kind == "unary_op":
        tok = node.children[0]
        return UnaryOp(str(tok), _expr(_trees(node)[0]))
    if kind in ("for_tuple_expr", "for_object_expr"):
        return _for(node)
    if kind == "template_string":
        return Lit(_unescape(str(node.children[0])[2:-2]))
    return Unsupported(kind)


def _index_key(idx: Tree) -> Expr:
    if idx.data == "short_index":
        return Lit(int(str(idx.children[1])))
    return _expr(_trees(idx)[0])


def _for(node: Tree) -> ForExpr:
    kids = _trees(node)
    intro = kids[0]
    names = [str(k.children[0]) for k in _trees(intro) if k.data == "identifier"]
    coll = [k for k in _trees(intro) if k.data != "identifier"][0]
    cond_node = next((k for k in kids if k.data == "for_cond"), None)
    cond = _expr(_trees(cond_node)[0]) if cond_node is not None else None
    body = [k for k in kids[1:] if k.data != "for_cond"]
    key_var, value_var = (names[0], names[1]) if len(names) == 2 else (None, names[0])
    if node.data == "for_object_expr":
        grouping = any(isinstance(t, Token) and t.type == "ELLIPSIS" for t in node.children)
        return ForExpr(key_var, value_var, _expr(coll), _expr(body[0]), _expr(body[1]), cond, grouping)
    return ForExpr(key_var, value_var, _expr(coll), None, _expr(body[0]), cond)


def parse_hcl(text: str) -> Body:
    """Parse HCL text into a ``Body``; raises ``HclSyntaxError`` with the line when known."""
    from hcl2.api import parses_to_tree

    try:
        tree = parses_to_tree(text)
    except Exception as exc:  # lark raises several unrelated exception types
        raise _syntax_error(exc) from None
    return parse_tree(tree)


def _syntax_error(exc: Exception) -> HclSyntaxError:
    """A parse error that names where and what kind of token, never the source text (which may
    hold a secret)."""
    line = getattr(exc, "line", None)
    line = line if isinstance(line, int) and line > 0 else None
    column = getattr(exc, "column", None)
    token = getattr(exc, "token", None)
    kind = getattr(token, "type", None) or getattr(exc, "char", None) and "character"
    where = f"line {line}, column {column}" if line else "unknown position"
    what = f"unexpected {_TOKEN_NAMES.get(str(kind), str(kind).lower())}" if kind else type(exc).__name__
    return HclSyntaxError(f"HCL syntax error at {where}: {what}", line)


_TOKEN_NAMES = {
    "NL_OR_COMMENT": "line break or comment",
    "STRING_CHARS": "string text",
    "$END": "end of file",
    "character": "character",
}
