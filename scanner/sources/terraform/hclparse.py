"""HCL text to the ``syntax`` AST, through tree-sitter-hcl.

tree-sitter parses in C (tens of times faster than a pure-Python grammar) and accepts every
construct Terraform does: line breaks before ``=>``, ``!!x``, ``- -1``, template directives and
strip markers. Its concrete syntax tree is converted here to our small AST, with the lines of
every block and attribute taken from the tree's own positions.

tree-sitter never fails; it marks what it cannot parse with ``ERROR`` and ``MISSING`` nodes.
The first of those becomes an ``HclSyntaxError`` naming the line, column and token kind, never
the source text (which may hold a secret). A few rules tree-sitter does not enforce but
Terraform does (one argument or block per line) are checked during the conversion.
"""

from __future__ import annotations

import os
import re
from typing import Any

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
    TemplateFor,
    TemplateIf,
    TupleExpr,
    UnaryOp,
)

# --- the tree-sitter parser, one per process (helper processes are forked) --------------------

_PARSER: tuple[int, Any] | None = None


def _parser() -> Any:
    global _PARSER
    if _PARSER is None or _PARSER[0] != os.getpid():
        import tree_sitter_hcl
        from tree_sitter import Language, Parser

        _PARSER = (os.getpid(), Parser(Language(tree_sitter_hcl.language())))
    return _PARSER[1]


def warm_up() -> None:
    """Load the grammar now (it is small: this costs well under a millisecond)."""
    _parser()


def parser_version() -> str:
    """Versions of the parsing packages, part of the parse-cache key."""
    from importlib.metadata import version

    return f"tree-sitter {version('tree-sitter')}, tree-sitter-hcl {version('tree-sitter-hcl')}"


_ODD_ESCAPE_RE = re.compile(rb"(?<![%$])(%%%(?:%%)*|\$\$\$(?:\$\$)*)\{")


def _for_tree_sitter(src: bytes) -> bytes:
    """tree-sitter-hcl pairs ``%%`` / ``$$`` from the left, HCL takes the escape ``%%{`` at the
    end of a run: ``%%%{`` is ``%`` and a literal ``%{`` to Terraform, but a directive to
    tree-sitter. In an odd run the first character is replaced (same length, so every offset
    stays valid); literal text is always sliced from the original source."""
    if b"%%%{" not in src and b"$$${" not in src:
        return src
    return _ODD_ESCAPE_RE.sub(lambda m: b"x" + m.group(0)[1:], src)


_BARE_EXPONENT_RE = re.compile(rb"(?<![\w.])(\d+)([eE][+-]?\d+)(?![\w.])")
_SKIP_RE = re.compile(
    rb'"(?:[^"\\\n]|\\.)*"'  # a quoted string (interpolations inside are left alone)
    rb"|#[^\n]*|//[^\n]*|/\*.*?\*/"  # comments
    rb"|<<-?([A-Za-z_][\w-]*)\r?\n.*?^[ \t]*\1[ \t]*$",  # a heredoc, to its closing line
    re.S | re.M,
)


def _with_exponent_fractions(src: bytes) -> bytes:
    """``1e9`` with a ``.0`` before the exponent, outside strings, comments and heredocs:
    Terraform reads ``1e9`` as a number, tree-sitter-hcl only ``1.0e9``. No line breaks are
    added, so lines stay exact (only columns on that line move)."""
    out, pos = [], 0
    for m in _SKIP_RE.finditer(src):
        out.append(_BARE_EXPONENT_RE.sub(rb"\1.0\2", src[pos : m.start()]))
        out.append(m.group(0))
        pos = m.end()
    out.append(_BARE_EXPONENT_RE.sub(rb"\1.0\2", src[pos:]))
    return b"".join(out)


_HEREDOC_OPENER = re.compile(r"<<-?([a-zA-Z][a-zA-Z0-9._-]*)\r?\n")


def _check_heredocs(text: str) -> None:
    """Raise for a heredoc without its closing line, in linear time: tree-sitter-hcl's heredoc
    scanner is quadratic over an unterminated body (160 KB of blank lines: minutes)."""
    pos = 0
    while True:
        m = _HEREDOC_OPENER.search(text, pos)
        if m is None:
            return
        line_start = text.rfind("\n", 0, m.start()) + 1
        prefix = text[line_start : m.start()]
        if "#" in prefix or "//" in prefix or prefix.count('"') % 2:  # in a comment or a string
            pos = m.end()
            continue
        # the closing marker alone on its line; Terraform allows spaces around it
        closing = re.compile(r"(?m)^[ \t\f\v]*" + re.escape(m.group(1)) + r"[ \t\f\v]*\r?$")
        end = closing.search(text, m.end())
        if end is None:
            line = text.count("\n", 0, m.start()) + 1
            raise HclSyntaxError(f"HCL syntax error at line {line}: unterminated heredoc", line)
        pos = end.end()


def parse_hcl(text: str) -> Body:
    """Parse HCL text into a ``Body``; raises ``HclSyntaxError`` with the line when known."""
    if "<<" in text:
        _check_heredocs(text)
    src = text.encode("utf-8")
    tree = _parser().parse(_for_tree_sitter(src))
    root = tree.root_node
    if root.has_error and _BARE_EXPONENT_RE.search(src):
        fixed = _with_exponent_fractions(src)
        retry = _parser().parse(_for_tree_sitter(fixed)).root_node
        if not retry.has_error:
            src, root = fixed, retry
    if root.has_error:
        raise _syntax_error(root)
    try:
        return _Converter(src).config(root)
    except RecursionError:
        raise HclSyntaxError("nesting too deep to parse") from None
    except (StopIteration, IndexError, AssertionError, ValueError, AttributeError) as exc:
        if isinstance(exc, HclSyntaxError):
            raise
        # a tree shape the conversion does not know: reported like a syntax error, never a crash
        raise HclSyntaxError(f"HCL syntax error: unsupported construct ({type(exc).__name__})") from None


# --- errors ----------------------------------------------------------------------------------


def _first_error(node: Any) -> Any:
    """The first ERROR or MISSING node in source order (only subtrees with errors are walked)."""
    for child in node.children:
        if child.is_missing or child.type == "ERROR":
            return child
        if child.has_error:
            return _first_error(child)
    return node


def _syntax_error(root: Any) -> HclSyntaxError:
    bad = _first_error(root)
    at = bad
    if bad.is_missing:
        what = f"missing {_kind(bad)}"
        opener = bad.parent
        while opener is not None and opener.type not in ("block", "object", "tuple", "function_call"):
            opener = opener.parent
        if opener is not None and opener.start_point[0] != bad.start_point[0]:
            at = opener  # an unclosed brace: Terraform points at where it was opened
            what = f"missing {_kind(bad)} to close this {opener.type.replace('_', ' ')}"
    elif bad.type == "ERROR":
        children = [c for c in bad.children if c.type != "comment"]
        # An ERROR over several lines starts where the parser gave up on a whole block; what
        # went wrong is on a later line: point at the first thing there.
        later = [c for c in children if c.start_point[0] > bad.start_point[0]]
        at = later[0] if later else (children[0] if children else bad)
        what = f"unexpected {_kind(at)}" if children else "unexpected character"
    else:
        what = "invalid syntax"
    line, column = at.start_point[0] + 1, at.start_point[1] + 1
    return HclSyntaxError(f"HCL syntax error at line {line}, column {column}: {what}", line)


_KIND_NAMES = {
    "identifier": "name",
    "numeric_lit": "number",
    "string_lit": "string",
    "template_literal": "string text",
    "quoted_template_start": "string",
    "heredoc_identifier": "name",
    "comment": "comment",
}


def _kind(node: Any) -> str:
    """What a token is, in words: its grammar name, or the punctuation itself (never text)."""
    if node.is_named:
        return _KIND_NAMES.get(node.type, node.type.replace("_", " "))
    return f"'{node.type}'"


def _line_error(node: Any, what: str) -> HclSyntaxError:
    line = node.start_point[0] + 1
    return HclSyntaxError(f"HCL syntax error at line {line}, column {node.start_point[1] + 1}: {what}", line)


# --- conversion ---------------------------------------------------------------------------------

_BINARY = {"+", "-", "*", "/", "%", "==", "!=", "<", ">", "<=", ">=", "&&", "||"}
_LINE_RE = re.compile(r"[^\n]*\n|[^\n]+")
_DANGLING = _BINARY | {"?", ":", ".", "!", "-", "=>"}
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
_ESCAPE_RE = re.compile(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)|\$\$\{|%%\{", re.S)
_DOUBLED_RE = re.compile(r"\$\$\{|%%\{")


def _unescape_quoted(text: str) -> str:
    """Backslash escapes of a quoted string, and ``$${`` / ``%%{`` (a literal ``${`` / ``%{``)."""

    def repl(m: re.Match[str]) -> str:
        s = m.group(1)
        if s is None:
            return m.group(0)[1:]
        if s[0] in "uU" and len(s) > 1:
            return chr(int(s[1:], 16))
        return _ESCAPES.get(s, "\\" + s)

    return _ESCAPE_RE.sub(repl, text) if ("\\" in text or "$${" in text or "%%{" in text) else text


def _unescape_heredoc(text: str) -> str:
    """A heredoc has no backslash escapes; only ``$${`` and ``%%{``."""
    return _DOUBLED_RE.sub(lambda m: m.group(0)[1:], text) if ("$${" in text or "%%{" in text) else text


class _Converter:
    """Turns one file's tree into the AST. ``src`` is the UTF-8 source (tree-sitter works on
    bytes); literal text is sliced from it, so whitespace tree-sitter skips is kept."""

    __slots__ = ("src",)

    def __init__(self, src: bytes) -> None:
        self.src = src

    def text(self, node: Any) -> str:
        return self.src[node.start_byte : node.end_byte].decode("utf-8")

    # --- structure ---------------------------------------------------------------------------
    def config(self, root: Any) -> Body:
        for child in root.children:
            if child.type == "body":
                return self.body(child)
        return Body()

    def body(self, node: Any) -> Body:
        out = Body()
        last_row = -1
        for child in node.children:
            t = child.type
            if t == "attribute":
                attr = self.attribute(child)
                if attr.name in out.attributes:
                    first = out.attributes[attr.name].start
                    raise _line_error(child, f"argument {attr.name} set again (first set at line {first})")
                out.attributes[attr.name] = attr
            elif t == "block":
                out.blocks.append(self.block(child))
            else:
                continue  # comments
            # Terraform wants a line break between two arguments or blocks.
            if child.start_point[0] == last_row:
                raise _line_error(child, "expected a line break before this argument or block")
            last_row = child.end_point[0]
        return out

    def attribute(self, node: Any) -> Attribute:
        children = node.children
        name = children[0]
        expr = next(c for c in children[2:] if c.type == "expression")
        start = name.start_point[0] + 1
        if expr.start_point[0] != expr.end_point[0]:
            _check_line_breaks(expr)
        end_row, end_col = expr.end_point
        end = end_row + 1 if end_col > 0 else end_row  # a heredoc ends after its line break
        return Attribute(self.text(name), self.expr(expr), start, max(start, end))

    def block(self, node: Any) -> Block:
        children = node.children
        labels: list[str] = []
        body = Body()
        end = node.end_point[0] + 1
        open_row = -1
        items: list[Any] = []
        for child in children[1:]:
            t = child.type
            if t == "string_lit":
                labels.append(self.label(child))
            elif t == "identifier":
                labels.append(self.text(child))
            elif t == "block_start":
                open_row = child.start_point[0]
            elif t == "body":
                body = self.body(child)
                items = [c for c in child.children if c.type in ("attribute", "block")]
            elif t == "block_end":
                end = child.start_point[0] + 1
                _check_block_layout(open_row, items, child)
        return Block(self.text(children[0]), labels, body, children[0].start_point[0] + 1, end)

    def label(self, node: Any) -> str:
        lit = [c for c in node.children if c.type == "template_literal"]
        return _unescape_quoted(self.text(lit[0])) if lit else ""

    # --- expressions -------------------------------------------------------------------------------
    def expr(self, node: Any) -> Expr:
        """An ``expression`` node (or any node that stands for one expression)."""
        # Wrapper nodes with one child are unwrapped in a loop: this runs for every node of
        # every value, so each Python call saved counts.
        while True:
            t = node.type
            if t == "expression":
                children = node.children
                if len(children) == 1:
                    node = children[0]
                    continue
                children = [c for c in children if c.type != "comment"]
                if len(children) == 1:
                    node = children[0]
                    continue
                return self.term(children)
            if t == "variable_expr":
                return Name(self.text(node.children[0]))
            if t in _WRAPPERS:
                node = node.children[0]
                continue
            handler = _DIRECT.get(t)
            if handler is not None:
                return handler(self, node)
            raise _line_error(node, f"unexpected {_kind(node)}")

    def conditional(self, node: Any) -> Conditional:
        parts = [self.expr(c) for c in node.children if c.type == "expression"]
        return Conditional(parts[0], parts[1], parts[2])

    def term(self, children: list[Any]) -> Expr:
        """A primary expression and its traversal steps, as sibling nodes."""
        if children[0].type == "(":
            close = next(i for i, c in enumerate(children) if c.type == ")")
            base = self.expr(children[1])
            rest = children[close + 1 :]
        else:
            base = self.expr(children[0])
            rest = children[1:]
        for step in rest:
            t = step.type
            if t == "get_attr":
                base = GetAttr(base, self.text(step.children[-1]))
            elif t == "index":
                base = Index(base, self.index_key(step.children[0]))
            elif t == "splat":
                base = Splat(base, self.splat_steps(step.children[0]))
            elif t != "comment":
                raise _line_error(step, f"unexpected {_kind(step)}")
        return base

    def index_key(self, node: Any) -> Expr:
        if node.type == "legacy_index":  # a.0
            return Lit(int(self.text(node)[1:].strip()))
        return self.expr(next(c for c in node.children if c.type == "expression"))

    def splat_steps(self, node: Any) -> list[tuple[str, Any]]:
        steps: list[tuple[str, Any]] = []
        for c in node.children[1:]:
            if c.type == "get_attr":
                steps.append(("attr", self.text(c.children[-1])))
            elif c.type == "index":
                steps.append(("index", self.index_key(c.children[0])))
        return steps

    def literal(self, node: Any) -> Expr:
        t = node.type
        if t == "numeric_lit":
            text = self.text(node)
            try:
                return Lit(int(text))
            except ValueError:
                return Lit(float(text))
        if t == "bool_lit":
            return Lit(self.text(node) == "true")
        if t == "null_lit":
            return Lit(None)
        if t == "string_lit":
            return Lit(self.label(node))
        raise _line_error(node, f"unexpected {_kind(node)}")

    def collection(self, node: Any) -> Expr:
        if node.type == "tuple":
            return TupleExpr([self.expr(c) for c in node.children if c.type == "expression"])
        items = []
        for elem in node.children:
            if elem.type != "object_elem":
                continue
            key_node, value_node = [c for c in elem.children if c.type == "expression"]
            items.append((self.object_key(key_node), self.expr(value_node)))
        return ObjectExpr(items)

    def object_key(self, node: Any) -> Expr:
        """A bare name as a key is a string (``{ a = 1 }``), not a reference; ``(a)`` is one."""
        children = [c for c in node.children if c.type != "comment"]
        if len(children) == 1:
            only = children[0]
            if only.type == "variable_expr":
                return Lit(self.text(only))
            if only.type == "literal_value" and only.children[0].type in ("bool_lit", "null_lit"):
                return Lit(self.text(only))
        return self.expr(node)

    def operation(self, node: Any) -> Expr:
        children = [c for c in node.children if c.type != "comment"]
        if node.type == "unary_operation":
            return UnaryOp(children[0].type, self.term(children[1:]))
        at = next(i for i, c in enumerate(children) if not c.is_named and c.type in _BINARY)
        return BinOp(children[at].type, self.term(children[:at]), self.term(children[at + 1 :]))

    def call(self, node: Any) -> Call:
        children = node.children
        args: list[Expr] = []
        expand = False
        for c in children:
            if c.type == "function_arguments":
                for a in c.children:
                    if a.type == "expression":
                        args.append(self.expr(a))
                    elif a.type == "ellipsis":
                        expand = True
        return Call(self.text(children[0]), args, expand)

    def for_expr(self, node: Any) -> ForExpr:
        names: list[str] = []
        collection: Expr | None = None
        body: list[Expr] = []
        cond: Expr | None = None
        grouping = False
        for c in node.children:
            t = c.type
            if t == "for_intro":
                for part in c.children:
                    if part.type == "identifier":
                        names.append(self.text(part))
                    elif part.type == "expression":
                        collection = self.expr(part)
            elif t == "expression":
                body.append(self.expr(c))
            elif t == "for_cond":
                cond = self.expr(next(x for x in c.children if x.type == "expression"))
            elif t == "ellipsis":
                grouping = True
        assert collection is not None
        key_var, value_var = (names[0], names[1]) if len(names) == 2 else (None, names[0])
        if node.type == "for_object_expr":
            return ForExpr(key_var, value_var, collection, body[0], body[1], cond, grouping)
        return ForExpr(key_var, value_var, collection, None, body[0], cond)

    # --- templates -----------------------------------------------------------------------------------
    def template(self, node: Any) -> Expr:
        """A quoted string or heredoc, as HCL reads it: literal tokens (a heredoc's split at
        line ends) between the interpolations and directives, strip markers trimming the
        adjacent literal token, then ``<<-`` indentation removed; directives nested last."""
        heredoc = node.type == "heredoc_template"
        children = node.children
        if heredoc:
            idents = [c for c in children if c.type == "heredoc_identifier"]
            newline = self.src.find(b"\n", idents[0].end_byte)
            start = newline + 1 if newline >= 0 else idents[0].end_byte
            close = idents[-1] if len(idents) > 1 else None
            end = self.src.rfind(b"\n", 0, close.start_byte) + 1 if close is not None else node.end_byte
            end = max(start, end)
            trim = any(c.type == "heredoc_start" and self.text(c) == "<<-" for c in children)
        else:
            start = children[0].end_byte
            end = children[-1].start_byte if children[-1].type == "quoted_template_end" else node.end_byte
            trim = False
        items: list[list[Any]] = []
        self.flatten(children, items)
        # tokens: [kind, payload, strip_before, strip_after]; literal tokens are ["text", str, ...]
        tokens: list[list[Any]] = []
        pos = start
        for item in items:
            if item[1] > pos:
                self.literal_tokens(pos, item[1], heredoc, tokens)
            tokens.append([item[0], item[3], item[4], item[5]])
            pos = item[2]
        if end > pos:
            self.literal_tokens(pos, end, heredoc, tokens)
        for i, tok in enumerate(tokens):
            if tok[0] == "text":
                continue
            if tok[2] and i > 0 and tokens[i - 1][0] == "text":
                tokens[i - 1][1] = tokens[i - 1][1].rstrip()
            if tok[3] and i + 1 < len(tokens) and tokens[i + 1][0] == "text":
                tokens[i + 1][1] = tokens[i + 1][1].lstrip()
        if trim:
            _flush_heredoc(tokens)
        pieces: list[list[Any]] = []
        for tok in tokens:  # adjacent literal tokens become one piece of text
            if tok[0] == "text" and pieces and pieces[-1][0] == "text":
                pieces[-1][1] += tok[1]
            else:
                pieces.append(tok)
        parts, _ = _nest(pieces, 0, node)
        return _template(parts)

    def literal_tokens(self, start: int, end: int, heredoc: bool, out: list[list[Any]]) -> None:
        """Literal text as HCL's scanner tokenizes it: a heredoc's line by line (each with its
        line break), a quoted string's whole; escapes decoded."""
        raw = self.src[start:end].decode("utf-8")
        if not heredoc:
            out.append(["text", _unescape_quoted(raw), False, False])
            return
        for line in _LINE_RE.findall(raw):
            out.append(["text", _unescape_heredoc(line), False, False])

    def flatten(self, children: list[Any], out: list[list[Any]]) -> None:
        """Interpolations and directive markers in order: [kind, start, end, payload, ~before, ~after]."""
        for c in children:
            t = c.type
            if t == "template_interpolation":
                inner = c.children
                expr = next(x for x in inner if x.type == "expression")
                out.append(["expr", c.start_byte, c.end_byte, self.expr(expr), *_strips(inner)])
            elif t in ("template_directive", "template_if", "template_for"):
                self.flatten(c.children, out)
            elif t == "template_if_intro":
                cond = self.expr(next(x for x in c.children if x.type == "expression"))
                out.append(["if", c.start_byte, c.end_byte, cond, *_strips(c.children)])
            elif t == "template_else_intro":
                out.append(["else", c.start_byte, c.end_byte, None, *_strips(c.children)])
            elif t == "template_if_end":
                out.append(["endif", c.start_byte, c.end_byte, None, *_strips(c.children)])
            elif t == "template_for_start":
                names = [self.text(x) for x in c.children if x.type == "identifier"]
                coll = self.expr(next(x for x in c.children if x.type == "expression"))
                out.append(["for", c.start_byte, c.end_byte, (names, coll), *_strips(c.children)])
            elif t == "template_for_end":
                out.append(["endfor", c.start_byte, c.end_byte, None, *_strips(c.children)])


# Nodes that may span lines freely: brackets, braces, parentheses, strings and heredocs.
_ENCLOSED = {
    "tuple",
    "object",
    "collection_value",
    "for_expr",
    "function_call",
    "template_expr",
    "index",
    "literal_value",
    "variable_expr",
}


def _check_line_breaks(expr: Any) -> None:
    """Terraform ends an argument at a line break outside brackets, braces and parentheses
    (``a &&`` and ``b`` on two lines is an error there); tree-sitter takes line breaks as spaces."""
    atoms: list[Any] = []
    _atoms(expr, atoms)
    for prev, cur in zip(atoms, atoms[1:], strict=False):
        if cur[0] > prev[1]:
            # after an operator the expression is incomplete on its line; else the next line
            # starts something unexpected (as Terraform reports them)
            dangling = not prev[2].is_named and prev[2].type in _DANGLING
            where = prev[2] if dangling else cur[2]
            raise _line_error(where, "line break inside an expression (wrap it in parentheses)")


def _atoms(node: Any, out: list[Any]) -> None:
    """The pieces of an expression between which a line break would end it: (first row, last
    row, node)."""
    if node.type in _ENCLOSED or node.child_count == 0:
        if node.type != "comment":
            out.append((node.start_point[0], node.end_point[0], node))
        return
    children = node.children
    i = 0
    while i < len(children):
        c = children[i]
        if c.type == "(":
            close = next((j for j in range(len(children) - 1, i, -1) if children[j].type == ")"), i)
            out.append((c.start_point[0], children[close].end_point[0], c))
            i = close + 1
            continue
        _atoms(c, out)
        i += 1


def _check_block_layout(open_row: int, items: list[Any], close: Any) -> None:
    """Terraform's block layout: content on the line of ``{`` makes a single-line block, which
    holds one argument and closes on the line where that argument ends; otherwise ``}`` stands
    on a line after the last argument or block."""
    if not items:
        return
    if items[0].start_point[0] == open_row:
        if len(items) > 1 or items[0].type != "attribute" or close.start_point[0] != items[0].end_point[0]:
            raise _line_error(items[0], "a single-line block holds exactly one argument")
    elif close.start_point[0] == items[-1].end_point[0]:
        raise _line_error(close, "expected a line break before the closing brace")


# wrappers of one expression node / node type -> its converter
_WRAPPERS = frozenset({"literal_value", "template_expr", "collection_value", "operation", "for_expr"})
_DIRECT = {
    "function_call": _Converter.call,
    "conditional": _Converter.conditional,
    "for_tuple_expr": _Converter.for_expr,
    "for_object_expr": _Converter.for_expr,
    "binary_operation": _Converter.operation,
    "unary_operation": _Converter.operation,
    "tuple": _Converter.collection,
    "object": _Converter.collection,
    "quoted_template": _Converter.template,
    "heredoc_template": _Converter.template,
    "numeric_lit": _Converter.literal,
    "bool_lit": _Converter.literal,
    "null_lit": _Converter.literal,
    "string_lit": _Converter.literal,
}


def _strips(children: list[Any]) -> tuple[bool, bool]:
    """Strip markers of an interpolation or directive: ``~`` right after the opening (strip the
    text before) and right before the closing brace (strip the text after)."""
    named = [c for c in children if c.type != "comment"]
    before = len(named) > 1 and named[1].type == "strip_marker"
    after = len(named) > 2 and named[-2].type == "strip_marker"
    return before, after


def _flush_heredoc(tokens: list[list[Any]]) -> None:
    """``<<-``: remove the smallest indentation from every line, as HCL does it: over the
    literal tokens that start a line (after strip markers ran); a line starting with an
    interpolation or directive has none; a blank line does not count."""
    smallest = None
    at_line_start = True
    adjust = []
    for tok in tokens:
        if at_line_start:
            at_line_start = False
            if tok[0] == "text":
                text = tok[1]
                rest = text.lstrip()
                if not rest and text.endswith("\n"):
                    pass  # a blank line
                else:
                    spaces = len(text) - len(rest)
                    smallest = spaces if smallest is None else min(smallest, spaces)
                    adjust.append(tok)
            else:
                smallest = 0
        if tok[0] == "text" and tok[1].endswith("\n"):
            at_line_start = True
    if not smallest:
        return
    for tok in adjust:
        tok[1] = tok[1][smallest:]


def _nest(pieces: list[list[Any]], i: int, node: Any, until: tuple[str, ...] = ()) -> tuple[list[Any], int]:
    """Build template parts from ``pieces[i:]`` up to a closing directive in ``until``; returns
    the parts and the index of that closing piece."""
    parts: list[Any] = []
    while i < len(pieces):
        kind, payload = pieces[i][0], pieces[i][1]
        if kind in until:
            return parts, i
        if kind == "text":
            if payload:
                parts.append(payload)
        elif kind == "expr":
            parts.append(payload)
        elif kind == "if":
            then, j = _nest(pieces, i + 1, node, ("else", "endif"))
            other: list[Any] = []
            if j < len(pieces) and pieces[j][0] == "else":
                other, j = _nest(pieces, j + 1, node, ("endif",))
            parts.append(TemplateIf(payload, _template_body(then), _template_body(other)))
            i = j
        elif kind == "for":
            names, coll = payload
            inner, j = _nest(pieces, i + 1, node, ("endfor",))
            key_var, value_var = (names[0], names[1]) if len(names) == 2 else (None, names[0])
            parts.append(TemplateFor(key_var, value_var, coll, _template_body(inner)))
            i = j
        else:
            raise _line_error(node, f"unexpected template directive {kind}")
        i += 1
    if until:
        raise _line_error(node, f"template directive without {until[-1]}")
    return parts, i


def _template_body(parts: list[Any]) -> Expr:
    """The body of a directive: always a string, so a lone interpolation stays a Template."""
    if all(isinstance(p, str) for p in parts):
        return Lit("".join(parts))
    return Template(parts)


def _template(parts: list[Any]) -> Expr:
    if all(isinstance(p, str) for p in parts):
        return Lit("".join(parts))
    if len(parts) == 1 and not isinstance(parts[0], (TemplateIf, TemplateFor)):
        return parts[0]  # "${x}" alone keeps x's type, as Terraform does
    return Template(parts)
